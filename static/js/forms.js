/* The browser half of the GOV.UK form pattern (no inline script: the CSP forbids it).
 *
 * 1. An error summary (.wcc-error-summary or [data-error-summary]) takes focus when the page
 *    loads, and each of its links moves focus to its field (scrolling its legend or label
 *    into view), as the GOV.UK error summary does.
 * 2. Work is never lost on long forms (form[data-autosave]): the page warns before leaving
 *    with unsaved changes (beforeunload, switched off while the form submits), and every
 *    change is kept in this browser's localStorage (what was typed over the page as it came,
 *    not the whole form). Coming back to the page with answers
 *    that were never saved restores them with a notice ("We restored answers you had not
 *    saved"); they are cleared once the page comes back from the server with them saved:
 *    after this form was posted, the form's version has moved on from the one they were
 *    typed on, or the page shows them (not merely "no error summary": a save whose session
 *    had expired comes back through the login page showing the old answers at the old
 *    version, and those typed must then be restored). A page with an error summary shows what was posted, so the browser's copy
 *    is left as it is. localStorage rather than a periodic server save: a server draft would write
 *    history rows for half-typed answers and bump the version the optimistic lock checks,
 *    turning a colleague's concurrent save into a conflict. "Save draft" stays the way to
 *    keep a draft on the server. Logging out clears them (computers may be shared).
 * 3. A box that scrolls sideways with nothing focusable in it is made a focusable region,
 *    so that keyboard users can scroll it (scrollRegions).
 * 4. A form that takes a while (form[data-busy]: a file of a thousand board accounts, say)
 *    says so once sent, in a status line with its data-busy text, and its buttons are
 *    disabled so that it is not sent twice (busyForms). Brought back by the browser's Back
 *    button from its cache, the form is ready to send again.
 */
(function () {
  "use strict";

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) { return false; }
    var group = field.closest("fieldset") || field.closest(".mb-3") || field;
    group.scrollIntoView();
    field.focus({ preventScroll: true });
    return true;
  }

  function errorSummary() {
    var summary = document.querySelector(".wcc-error-summary, [data-error-summary]");
    if (!summary) { return null; }
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (link && focusField(link.getAttribute("href").slice(1))) { event.preventDefault(); }
    });
    return summary;
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.name !== "version" &&
        el.type !== "submit" && el.type !== "button" && el.type !== "file" &&
        el.type !== "hidden" && el.type !== "password";
    });
  }

  function snapshot(form) {
    var data = {};
    fieldsOf(form).forEach(function (el) {
      if (el.type === "radio") {
        if (el.checked) { data[el.name] = el.value; } else if (!(el.name in data)) { data[el.name] = ""; }
      } else if (el.type === "checkbox") {
        data[el.name] = el.checked ? "on" : "";
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function apply(form, data) {
    fieldsOf(form).forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "radio") { el.checked = el.value === data[el.name]; }
      else if (el.type === "checkbox") { el.checked = data[el.name] === "on"; }
      else { el.value = data[el.name]; }
    });
  }

  // The server trims texts and writes line ends as it pleases: compare what they say.
  function normal(value) { return String(value).replace(/\r\n?/g, "\n").trim(); }

  function same(a, b) {
    return Object.keys(a).every(function (key) {
      return !(key in b) || normal(a[key]) === normal(b[key]);
    });
  }

  function autosave(form, hasErrors) {
    var key = "wcc-draft:" + form.getAttribute("data-autosave");
    var submittedKey = "wcc-submitted:" + form.getAttribute("data-autosave");
    var store = window.localStorage;
    var dirty = false;
    var versionField = form.querySelector("input[name='version']");
    function version() { return versionField ? versionField.value : ""; }
    var submitted = window.sessionStorage.getItem(submittedKey);
    window.sessionStorage.removeItem(submittedKey);
    // The page as the server sent it: only what is typed over it is kept, so that answers
    // restored from another window's older copy of the page change what was typed there
    // and nothing else (a value saved since in this window is not blanked by that copy).
    var initial = snapshot(form);
    var stored = store.getItem(key);
    if (stored && !hasErrors) {
      var data = JSON.parse(stored);
      // Saved: this form was just posted and the server's version moved on from the one
      // the answers were typed on, or the page shows the answers kept here.
      var savedSince = submitted && "__version" in data && data.__version !== version();
      if (savedSince || same(data, snapshot(form))) {
        store.removeItem(key);
      } else {
        apply(form, data);
        dirty = true;
        var notice = document.createElement("div");
        notice.className = "alert alert-info";
        notice.setAttribute("role", "status");
        notice.setAttribute("data-test", "restored");
        notice.textContent = "We restored answers you had not saved. Save a draft to keep them.";
        form.insertBefore(notice, form.firstChild);
      }
    }
    function keep() {
      var now = snapshot(form);
      var data = {};
      var changed = false;
      // A page with an error summary shows what was posted and not saved: all of it is kept.
      Object.keys(now).forEach(function (name) {
        if (hasErrors || normal(now[name]) !== normal(initial[name])) {
          data[name] = now[name];
          changed = true;
        }
      });
      dirty = changed;
      if (!changed) { store.removeItem(key); return; }
      data.__version = version();
      store.setItem(key, JSON.stringify(data));
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () {
      dirty = false;
      window.sessionStorage.setItem(submittedKey, "1");
    });
    window.addEventListener("beforeunload", function (event) {
      if (!dirty) { return; }
      event.preventDefault();
      event.returnValue = "";
    });
  }

  // Unsaved answers stay in this browser only until its user logs out (a shared computer).
  function clearOnLogout() {
    document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
      form.addEventListener("submit", function () {
        Object.keys(window.localStorage).forEach(function (key) {
          if (key.indexOf("wcc-draft:") === 0) { window.localStorage.removeItem(key); }
        });
      });
    });
  }

  // A box that scrolls sideways (a wide table on a phone) must be reachable from the
  // keyboard to be scrolled (WCAG 2.1.1): it becomes a focusable region named by its table's
  // caption or its heading, so that the arrow keys bring every column into view (links
  // inside it reach only their own column). Checked again when the window is resized,
  // since whether it scrolls depends on the width.
  function scrollRegions() {
    document.querySelectorAll(".table-responsive, .wcc-card, .wcc-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var inner = box.querySelector(".table-responsive, .wcc-scroll");  // the inner box scrolls
      if (scrolls && !inner && !box.hasAttribute("tabindex")) {
        var section = box.parentElement && box.parentElement.closest("section, .wcc-card");
        var label = box.querySelector("caption, h2, h3") || (section && section.querySelector("h2, h3"));
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (label ? label.textContent.trim() + ": " : "") + "scrolls sideways");
        box.setAttribute("data-scroll-region", "");
        // Seen as well as heard (walk R: at 390 px the last columns, a "Deactivated" tag
        // among them, were hidden with nothing to say there was more).
        var hint = document.createElement("p");
        hint.className = "wcc-scroll-hint";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = "Scroll sideways to see every column \u2192";
        box.parentNode.insertBefore(hint, box);
      } else if (!scrolls && box.hasAttribute("data-scroll-region")) {
        ["tabindex", "role", "aria-label", "data-scroll-region"].forEach(function (name) {
          box.removeAttribute(name);
        });
        var old = box.previousElementSibling;
        if (old && old.classList.contains("wcc-scroll-hint")) { old.remove(); }
      }
    });
  }

  // A page restored from the browser's back-forward cache comes back as it was left: sent,
  // with its buttons disabled. Going Back to it means starting again, so it is made ready.
  function readyAgain(form) {
    form.querySelectorAll("[data-test='busy']").forEach(function (status) { status.remove(); });
    form.querySelectorAll("[data-busy-disabled]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-busy-disabled");
    });
  }

  // A message after an action ("Draft saved.") is read where it is: it takes focus, as the
  // GOV.UK notification banner does (a status region already on the page when it loads is
  // not announced). When the address names a place on the page ("Comment sent" lands at
  // #factual-accuracy, far down), the message moves there first, so that it is seen where
  // the reader lands; not into a table, whose cell says its own message (moderation).
  function messagesFocus() {
    var box = document.querySelector(".wcc-messages");
    if (!box) { return; }
    if (window.location.hash) {
      var target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
      if (target && target.closest("table")) { return; }
      if (target) { target.parentNode.insertBefore(box, target); }
    }
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  function busyForms() {
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) { return; }
      document.querySelectorAll("form[data-busy]").forEach(readyAgain);
    });
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (form.querySelector("[data-test='busy']")) { return; }
        var status = document.createElement("p");
        status.className = "wcc-busy mt-2 mb-0";
        status.setAttribute("role", "status");
        status.setAttribute("data-test", "busy");
        status.textContent = form.getAttribute("data-busy");
        form.appendChild(status);
        // Once this submission has left: a button disabled before it would not be sent.
        window.setTimeout(function () {
          form.querySelectorAll("button[type='submit'], input[type='submit']").forEach(function (button) {
            if (button.disabled) { return; }
            button.disabled = true;
            button.setAttribute("data-busy-disabled", "");
          });
        }, 0);
      });
    });
  }

  function start() {
    clearOnLogout();
    scrollRegions();
    busyForms();
    window.addEventListener("resize", scrollRegions);
    var summary = errorSummary();
    if (!summary) { messagesFocus(); }
    document.querySelectorAll("form[data-autosave]").forEach(function (form) {
      autosave(form, summary !== null);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
