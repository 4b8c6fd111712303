// The segment rule builder: each row offers only the operators its field takes, and the value
// box says what it expects. Without JavaScript every operator shows; the server checks anyway.
(() => {
  const data = document.getElementById("segment-field-ops");
  if (!data) return;
  const fieldOps = JSON.parse(data.textContent);
  document.querySelectorAll("[data-rule-row]").forEach((row) => {
    const field = row.querySelector("select[name$='-field']");
    const op = row.querySelector("select[name$='-op']");
    const value = row.querySelector("input[name$='-value']");
    if (!field || !op || !value) return;
    const sync = () => {
      const allowed = fieldOps[field.value] || null;
      for (const option of op.options) {
        option.hidden = Boolean(option.value && allowed && !(option.value in allowed));
      }
      if (allowed && op.value && !(op.value in allowed)) op.value = "";
      value.placeholder = allowed && op.value ? allowed[op.value] : "";
    };
    field.addEventListener("change", sync);
    op.addEventListener("change", sync);
    sync();
  });
})();
