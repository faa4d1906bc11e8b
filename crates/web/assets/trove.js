// Trove's one page script: progressive enhancement only. Every page works without it.
// - [data-copy]: adds a "Copy" button that copies the element's text (or an input's value).
// - form[data-autosubmit]: submits the form when one of its selects changes.
(function () {
  "use strict";
  function textOf(el) {
    if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") return el.value;
    return el.textContent;
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "copy-buffer";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }
  function addButton(el) {
    var what = el.getAttribute("data-copy-label") || "command";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small copy-button";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy " + what);
    var status = document.createElement("span");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      copy(textOf(el)).then(function () {
        button.textContent = "Copied";
        status.textContent = "Copied to the clipboard";
      }, function () {
        button.textContent = "Select and copy";
        status.textContent = "Copying failed; select the text and copy it";
      });
      window.setTimeout(function () { button.textContent = "Copy"; status.textContent = ""; }, 2000);
    });
    var wrap = document.createElement("div");
    wrap.className = "copy-wrap";
    el.parentNode.insertBefore(wrap, el);
    wrap.appendChild(el);
    wrap.appendChild(button);
    wrap.appendChild(status);
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), addButton);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosubmit] select"), function (sel) {
      sel.addEventListener("change", function () { sel.form.submit(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
