{{/* Names, labels and the pieces every pod of the chart shares. */}}

{{- define "crm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "crm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "crm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "crm.labels" -}}
helm.sh/chart: {{ include "crm.chart" . }}
{{ include "crm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "crm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "crm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of one role: include "crm.componentSelectorLabels" (list . "web") */}}
{{- define "crm.componentSelectorLabels" -}}
{{ include "crm.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "crm.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "crm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "crm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the pods read: the user's existingSecret or the chart's own. */}}
{{- define "crm.secretName" -}}
{{- default (include "crm.fullname" .) .Values.existingSecret }}
{{- end }}

{{- define "crm.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "crm.fullname" .)) .Values.ingress.tls.secretName }}
{{- end }}

{{- define "crm.allowedHosts" -}}
{{- $hosts := list .Values.baseDomain (printf ".%s" .Values.baseDomain) }}
{{- join "," (concat $hosts .Values.extraAllowedHosts) }}
{{- end }}

{{/*
Environment variables that need more than envFrom: DATABASE_URL and REDIS_URL composed from
host/port parts, with the password read from a Secret and substituted by the kubelet ($(VAR)).
*/}}
{{- define "crm.connectionEnv" -}}
{{- $pg := .Values.postgresql }}
{{- if and (not $pg.url) $pg.host }}
{{- $hasPassword := or $pg.password $pg.existingSecret .Values.existingSecret }}
{{- if $hasPassword }}
- name: CRM_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "crm.secretName" .) $pg.existingSecret }}
      key: {{ ternary $pg.existingSecretPasswordKey "DATABASE_PASSWORD" (not (empty $pg.existingSecret)) }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(CRM_DATABASE_PASSWORD)@%s:%v/%s?sslmode=%s" $pg.user $pg.host $pg.port $pg.database $pg.sslmode | quote }}
{{- else }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s:%v/%s?sslmode=%s" $pg.user $pg.host $pg.port $pg.database $pg.sslmode | quote }}
{{- end }}
{{- end }}
{{- $redis := .Values.redis }}
{{- if and (not $redis.url) $redis.host }}
{{- $scheme := ternary "rediss" "redis" $redis.tls }}
{{- if or $redis.password $redis.existingSecret }}
- name: CRM_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ default (include "crm.secretName" .) $redis.existingSecret }}
      key: {{ ternary $redis.existingSecretPasswordKey "REDIS_PASSWORD" (not (empty $redis.existingSecret)) }}
- name: REDIS_URL
  value: {{ printf "%s://:$(CRM_REDIS_PASSWORD)@%s:%v/%v" $scheme $redis.host $redis.port $redis.db | quote }}
{{- else }}
- name: REDIS_URL
  value: {{ printf "%s://%s:%v/%v" $scheme $redis.host $redis.port $redis.db | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* envFrom shared by every container: the ConfigMap, then the Secret. */}}
{{- define "crm.envFrom" -}}
- configMapRef:
    name: {{ include "crm.fullname" . }}
- secretRef:
    name: {{ include "crm.secretName" . }}
{{- end }}

{{/* Volumes every pod mounts: a writable /tmp and the shared data directory. */}}
{{- define "crm.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: data
{{- if .Values.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-data" (include "crm.fullname" .)) .Values.persistence.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end }}

{{- define "crm.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: {{ .Values.persistence.mountPath }}
{{- end }}

{{/* Pod annotations: checksums roll the pods when configuration changes. */}}
{{- define "crm.podAnnotations" -}}
{{- $root := index . 0 }}
checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
{{- if not $root.Values.existingSecret }}
checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
{{- end }}
{{- with $root.Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- with index . 1 }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The pod spec of one role. Called with a dict: root (the chart context), role (web, worker, beat,
migrate), spec (that role's values), ports (a container ports list or nil), restartPolicy.
*/}}
{{- define "crm.podSpec" -}}
{{- $root := .root }}
{{- $spec := .spec }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if eq .role "migrate" }}
serviceAccountName: {{ ternary "default" (include "crm.serviceAccountName" $root) $root.Values.serviceAccount.create }}
{{- else }}
serviceAccountName: {{ include "crm.serviceAccountName" $root }}
{{- end }}
# The application never talks to the Kubernetes API.
automountServiceAccountToken: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- with .restartPolicy }}
restartPolicy: {{ . }}
{{- end }}
{{- with $spec.terminationGracePeriodSeconds }}
terminationGracePeriodSeconds: {{ . }}
{{- end }}
containers:
  - name: {{ .role }}
    image: {{ include "crm.image" $root | quote }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: [{{ .role | quote }}]
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    {{- with .ports }}
    ports:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    envFrom:
      {{- include "crm.envFrom" $root | nindent 6 }}
    env:
      - name: CRM_PROCESS_ROLE
        value: {{ .role | quote }}
      {{- with (include "crm.connectionEnv" $root | trim) }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with $spec.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- range $probe := list "startupProbe" "livenessProbe" "readinessProbe" }}
    {{- with (index $spec $probe) }}
    {{ $probe }}:
      {{- $probeSpec := deepCopy . }}
      {{- if hasKey $probeSpec "httpGet" }}
      {{- /* Django checks the Host header against ALLOWED_HOSTS: send the base domain. */}}
      {{- $_ := set $probeSpec.httpGet "httpHeaders" (list (dict "name" "Host" "value" $root.Values.baseDomain)) }}
      {{- end }}
      {{- toYaml $probeSpec | nindent 6 }}
    {{- end }}
    {{- end }}
    {{- with $spec.lifecycle }}
    lifecycle:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $spec.resources }}
    resources:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    volumeMounts:
      {{- include "crm.volumeMounts" $root | nindent 6 }}
volumes:
  {{- if eq .role "migrate" }}
  {{- /* A pre-install hook runs before the data claim exists, and migrations need no files. */}}
  - name: tmp
    emptyDir:
      sizeLimit: {{ $root.Values.tmpSizeLimit }}
  - name: data
    emptyDir: {}
  {{- else }}
  {{- include "crm.volumes" $root | nindent 2 }}
  {{- end }}
{{- with $spec.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $spec.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $spec.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $spec.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
