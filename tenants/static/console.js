// The console's single keys (tenants/calls/views.py): a night-shift operator classifies a call without the mouse.
// 1–7 choose the classification and save the call; L, N and I jump to location, notes and the incident summary;
// Ctrl+Enter saves from any field; Escape leaves a field. Without this script the form works as a plain form.
(() => {
  "use strict";
  const typing = (element) => element && (element.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName));
  const jumps = { l: "call-location", n: "call-notes", i: "incident-summary" };

  document.addEventListener("keydown", (event) => {
    const form = document.getElementById("call-form");
    if (!form || event.altKey || event.metaKey) return;
    if (event.key === "Enter" && event.ctrlKey) {
      const target = event.target.closest && event.target.closest("form");
      (target || form).requestSubmit();
      event.preventDefault();
      return;
    }
    if (event.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
      return;
    }
    if (event.ctrlKey || typing(event.target)) return;
    const choice = form.querySelector(`input[name="classification"][data-key="${event.key}"]`);
    if (choice) {
      choice.checked = true;
      form.requestSubmit();
      event.preventDefault();
      return;
    }
    const jump = jumps[event.key.toLowerCase()];
    if (jump && document.getElementById(jump)) {
      document.getElementById(jump).focus();
      event.preventDefault();
    }
  });
})();
