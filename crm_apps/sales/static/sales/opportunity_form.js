/* The opportunity form: the stage list follows the chosen pipeline. */
(function () {
  "use strict";

  const data = document.getElementById("pipeline-stages");
  const pipeline = document.getElementById("id_pipeline");
  const stage = document.getElementById("id_stage");
  if (!data || !pipeline || !stage) {
    return;
  }
  const stages = JSON.parse(data.textContent);
  pipeline.addEventListener("change", () => {
    const options = (stages[pipeline.value] || []).map((item) => new Option(item.name, item.id));
    stage.replaceChildren(...options);
  });
}());
