// The batch page: poll the running batch's progress and show it (the status line, the bar,
// the counts, the time since a worker picked it up and the estimate of the time left, and
// the batch's row in the table below) without reloading; reload once when it ends.
(function () {
  "use strict";
  var box = document.getElementById("batch-progress");
  if (!box || !window.fetch) return;
  var bar = box.querySelector("progress");
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  function setText(el, text) { if (el && el.textContent !== String(text)) el.textContent = text; }
  function show(batch) {
    ["summary", "done", "total", "rendered", "unchanged", "elapsed", "remaining"].forEach(function (name) {
      setText(field(name), batch[name]);
    });
    var elapsedLine = field("elapsed-line");
    if (elapsedLine) elapsedLine.hidden = !batch.elapsed;
    var remainingLine = field("remaining-line");
    if (remainingLine) remainingLine.hidden = !batch.remaining;
    bar.max = batch.total || 1;
    bar.value = batch.done;
    bar.textContent = batch.percent + "%";
    var row = document.querySelector('tr[data-batch="' + batch.id + '"]');
    if (row) {
      setText(row.querySelector('[data-cell="status_label"]'), batch.status_label);
      setText(row.querySelector('[data-cell="done_total"]'), batch.done + " / " + batch.total);
      setText(row.querySelector('[data-cell="rendered"]'), batch.rendered);
      setText(row.querySelector('[data-cell="unchanged"]'), batch.unchanged);
    }
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
