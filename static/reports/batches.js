// The batch page: poll the running batch's progress and show it; reload when it ends.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box) return;
  var bar = box.querySelector("progress");
  function show(batch) {
    ["status_label", "done", "total", "rendered", "unchanged"].forEach(function (name) {
      var field = box.querySelector('[data-field="' + name + '"]');
      if (field) field.textContent = batch[name];
    });
    bar.max = batch.total || 1;
    bar.value = batch.done;
    bar.textContent = batch.percent + "%";
  }
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        if (!data.batch) return;
        show(data.batch);
        if (data.batch.active) window.setTimeout(poll, 2000);
        else window.location.reload();
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
