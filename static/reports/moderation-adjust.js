// The moderation page's adjust forms, in place. A cell holds only its trigger (a
// <details>), the rating's id, version, kind and value as data attributes, and a link to
// the rating's own adjust page (for a browser without script); when the trigger is first
// opened, the form is copied into it from the page's <template id="mod-adjust-form">
// (reports/templatetags/moderation_grid.py). Each form posts with fetch and asks for JSON; the answer (the cell's new value with the panel's kept value, its version and the
// message) replaces the cell's value and the message is shown in the cell's live region,
// where the moderator is looking. Without this script the form posts and the page comes
// back at the rating with the message beside it.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  // Who the page was served to: the server refuses a change sent for someone else (it
  // would be recorded under the name of whoever signed in last in another tab).
  var signedInAs = document.currentScript ? document.currentScript.getAttribute("data-signed-in-as") : null;

  // The cell shows the stored rating; the form takes its version, so that saving again
  // knowingly replaces a colleague's change. The moderator's own choice stays chosen unless
  // it was saved: a refusal (someone else changed it) keeps what they chose and typed.
  function update(cell, form, data) {
    var rating = data.rating;
    var value = cell.querySelector("[data-value]");
    if (value && rating) value.innerHTML = rating.html;  // rendered (escaped) by the server
    if (rating && typeof rating.flags_html === "string") {
      // The cell's flags as the saved change leaves them (a rating moved near or away
      // from the members' scores gains or loses its flag).
      var mark = cell.querySelector(":scope > .mod-flag-mark");
      if (mark) mark.remove();
      if (rating.flags_html && value) value.insertAdjacentHTML("afterend", rating.flags_html);
      cell.classList.toggle("mod-cell--flagged", rating.flags_html !== "");
    }
    if (rating) {
      form.querySelector('input[name="version"]').value = rating.version;
      cell.classList.toggle("mod-cell--moderated", rating.moderated);
      var select = form.querySelector('select[name="value"]');
      if (select && data.ok) select.value = String(rating.value);
    }
  }

  // After a change, the region's counts above the grid (flagged, adjusted) as they now are.
  function recount(counts) {
    if (!counts) return;
    ["total", "flagged", "adjusted", "flags"].forEach(function (name) {
      var el = document.querySelector('[data-test="count-' + name + '"]');
      if (el && counts[name] !== undefined) el.textContent = counts[name];
    });
  }

  // ``ok``: true (saved), false (refused), or null while saving: neither mark, so that
  // nobody (nor a test) reads "Saving…" as done.
  function say(live, text, ok) {
    live.textContent = text;
    live.classList.toggle("mod-live--success", ok === true);
    live.classList.toggle("mod-live--error", ok === false);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-inplace]")) return;
    event.preventDefault();
    var cell = form.closest("td");
    var live = document.getElementById("live-" + form.dataset.inplace);
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    say(live, "Saving…", null);
    var body = new FormData(form);
    // The browser's current security token: signing in again (in another tab, after the
    // session ended) replaces the one the page was served with.
    var token = (document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1];
    if (token) body.set("csrfmiddlewaretoken", decodeURIComponent(token));
    if (signedInAs) body.set("signed_in_as", signedInAs);
    fetch(form.action + "?inplace=1", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    })
      .then(function (response) {
        var copy = response.clone();  // read as text when it is not JSON
        return response.json().then(function (data) { return data; }, function () {
          if (response.redirected && response.url.indexOf("/accounts/login/") !== -1) {
            // The session ended: fetch followed the redirect to the login page.
            return { ok: false, message: "Not saved: you have been signed out. Sign in again in another tab, then press Save here again: your choice and reason are kept below." };
          }
          if (response.status === 403) {
            // Refused by the security token (the session ended, the cookies were cleared) or
            // by a permission (an account that may only read): the page says which.
            return copy.text().then(function (page) {
              if (page.indexOf("You cannot change this") !== -1) {  // templates/403.html
                return { ok: false, message: "Not saved: the account now signed in in this browser may see this page but not change it (did someone sign in as another user in another tab?)." };
              }
              return { ok: false, message: "Not saved: this browser's session has ended or its cookies were cleared. Sign in again in another tab, then press Save here again: your choice and reason are kept below." };
            });
          }
          if (response.status === 404) {
            return { ok: false, message: "Not saved: the account now signed in in this browser may not change this rating (did someone sign in as another user in another tab?)." };
          }
          return { ok: false, message: "Not saved: the server answered " + response.status + ". Reload the page and try again." };
        });
      })
      .then(function (data) {
        update(cell, form, data);
        recount(data.counts);
        say(live, data.message, data.ok);
        var details = form.closest("details");
        var reason = form.querySelector('input[name="reason"]');
        // The refusal's message in the box too, above the reason: the cell's status line
        // is as narrow as its column (80 px at 320 px wide, the message squeezed into a
        // dozen lines partly above the screen: the accessibility walk).
        var inBox = form.querySelector(".mod-adjust__error");
        if (data.ok) {
          reason.value = "";
          reason.removeAttribute("aria-invalid");
          reason.removeAttribute("aria-describedby");
          if (inBox) inBox.remove();
          if (details) { details.open = false; details.querySelector("summary").focus(); }
          // The confirmation where the moderator looks, also on a small screen.
          if (live.scrollIntoView) { live.scrollIntoView({ block: "nearest", inline: "nearest" }); }
        } else if (details) {
          details.open = true;  // the choice and the reason stay in view, to save again
          if (!inBox) {
            inBox = document.createElement("p");
            inBox.className = "mod-adjust__error";
            inBox.id = "error-" + form.dataset.inplace;
            var label = form.querySelector('label[for="' + reason.id + '"]');
            form.insertBefore(inBox, label || reason);
          }
          inBox.textContent = data.message;
          // The refusal describes the field (read again with it), as the page without
          // script marks it; then focus, which was on the Save button, disabled while it
          // sent (so lost to the page), goes back to the reason, and the box is brought
          // into view whole.
          reason.setAttribute("aria-invalid", "true");
          reason.setAttribute("aria-describedby", inBox.id);
          reason.focus();
          if (form.scrollIntoView) { form.scrollIntoView({ block: "nearest", inline: "nearest" }); }
        }
      })
      .catch(function () { say(live, "Not saved: no answer from the server. Check the connection and try again.", false); })
      .then(function () { button.disabled = false; });
  });

  // The cell's form, from the page's templates: the rating's ids, version and current
  // value filled in, the link to its own page replaced. Once per cell: what is chosen and
  // typed in it stays when it closes.
  function build(details) {
    var data = details.dataset;
    var form = document.getElementById("mod-adjust-form");
    var options = document.getElementById("mod-adjust-" + data.kind);
    if (!data.rating || !form || !options) return null;
    var pk = data.rating;
    form = form.content.firstElementChild.cloneNode(true);
    form.action = form.getAttribute("action").replace(/\/0\/$/, "/" + pk + "/");
    form.dataset.inplace = pk;
    form.querySelector('input[name="version"]').value = data.version;
    var select = form.querySelector('select[name="value"]');
    var reason = form.querySelector('input[name="reason"]');
    var labels = form.querySelectorAll("label");
    select.appendChild(options.content.cloneNode(true));
    select.value = data.value;
    select.id = "v" + pk;
    reason.id = "r" + pk;
    labels[0].htmlFor = select.id;
    labels[1].htmlFor = reason.id;
    // What it is about: the row's PCT (bold) and the item, as the trigger names them.
    var pct = details.closest("tr").querySelector('[data-test="pct-link"]').textContent;
    var name = details.querySelector(".mod-adjust__label").textContent;
    var what = form.querySelector("[data-what]");
    what.appendChild(document.createElement("strong")).textContent = pct;
    what.appendChild(document.createTextNode(": " + name.slice(("Adjust " + pct + ": ").length)));
    var link = details.querySelector(".mod-adjust__page");
    if (link) link.remove();
    details.appendChild(form);
    return form;
  }

  // A box opened near the edge of the grid's scrolling area (at 320 px, most of them) is
  // brought into view whole, so that its choice, reason and Save are not scrolled out of
  // sight. "toggle" does not bubble, hence the capture.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("details.mod-adjust[open]")) return;
    var form = details.querySelector("form") || build(details);
    if (form && form.scrollIntoView) form.scrollIntoView({ block: "nearest", inline: "nearest" });
  }, true);

  // An open box floats over the cells below it. Escape closes it (focus back on its
  // pencil), and so does focus leaving it, so that it never hides where the focus went
  // (WCAG 2.4.11). What was chosen and typed in it stays, closed.
  function openBox(node) {
    return node && node.closest ? node.closest("details.mod-adjust[open]") : null;
  }
  document.addEventListener("keydown", function (event) {
    var details = event.key === "Escape" ? openBox(event.target) : null;
    if (!details) return;
    details.open = false;
    details.querySelector("summary").focus();
  });
  document.addEventListener("focusout", function (event) {
    var details = openBox(event.target);
    if (!details || !event.relatedTarget || details.contains(event.relatedTarget)) return;
    details.open = false;
  });
})();
