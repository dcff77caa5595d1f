// The report's Print button (a static script: the Content-Security-Policy refuses inline handlers).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
