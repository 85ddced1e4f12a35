// The moderation page's progress grid (PCT x stage): fetch the region's stages every 30
// seconds and redraw the rows and the counts, so the grid stays live while staff work.
(function () {
  "use strict";
  var grid = document.getElementById("progress-grid");
  if (!grid || !window.fetch) return;
  var stages = grid.dataset.stages.split(",").map(Number);
  // Held back (after the publication time): a link to the comments to answer, and never
  // ticked as a stage passed (a published PCT was not held back).
  var heldBack = Number(grid.dataset.heldBack);
  var labels = Array.prototype.map.call(grid.querySelectorAll("thead th"), function (th) {
    return th.textContent;
  }).slice(1);
  var note = document.getElementById("grid-updated");

  function draw(row, stage) {
    var cells = row.querySelectorAll("td");
    stages.forEach(function (value, i) {
      var cell = cells[i];
      cell.className = "text-center";
      cell.removeAttribute("data-test");
      if (stage === value) {
        cell.className += " mod-stage--current";
        cell.setAttribute("data-test", "current");
        if (value === heldBack) {
          cell.innerHTML = "";
          var link = document.createElement("a");
          link.href = "#unanswered-heading";
          link.textContent = labels[i];
          cell.appendChild(link);
        } else {
          cell.textContent = labels[i];
        }
      } else if (stage > value && value !== heldBack) {
        cell.className += " mod-stage--done";
        cell.innerHTML = '<span aria-hidden="true">✓</span><span class="visually-hidden">done</span>';
      } else {
        cell.textContent = "";
      }
    });
  }

  // Said aloud (the note is a polite live region) only when the grid changed: a note
  // rewritten every 30 seconds would be read out every 30 seconds. "Stop updating" stops it
  // (WCAG 2.2.2); "Start updating" fetches at once and carries on.
  var pause = document.getElementById("grid-pause");
  var timer = null;
  var stopped = false;

  function shown() {  // what the grid says, whatever the markup saying it
    return grid.textContent.replace(/\s+/g, "");
  }

  function schedule() {
    window.clearTimeout(timer);
    if (!stopped) timer = window.setTimeout(refresh, 30000);
  }

  function refresh() {
    fetch(grid.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        var before = shown();
        var counts = {};
        data.assessments.forEach(function (a) {
          counts[a.stage] = (counts[a.stage] || 0) + 1;
          var row = grid.querySelector('tr[data-ods="' + a.ods_code + '"]');
          if (row) draw(row, a.stage);
        });
        stages.forEach(function (value) {
          var cell = grid.querySelector('td[data-count="' + value + '"]');
          if (cell) {
            cell.textContent = counts[value] || 0;
            cell.classList.toggle("zero", !counts[value]);
          }
        });
        if (note && shown() !== before) {
          note.textContent = "Updated at " + new Date().toLocaleTimeString("en-GB") + ": the grid changed; it updates itself every 30 seconds.";
        }
      })
      .catch(function () { if (note) note.textContent = "Could not update the grid; reload the page."; })
      .then(schedule);
  }

  if (pause) {
    pause.hidden = false;
    pause.addEventListener("click", function () {
      stopped = !stopped;
      pause.textContent = stopped ? "Start updating" : "Stop updating";
      if (note) {
        note.textContent = stopped
          ? "The grid no longer updates itself; reload the page to see the latest."
          : "The grid updates itself every 30 seconds while this page is open.";
      }
      if (stopped) window.clearTimeout(timer); else refresh();
    });
  }
  schedule();
})();
