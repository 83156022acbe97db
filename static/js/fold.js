// A <details class="fold"> (a list's filters) is folded on a phone and always open on a wider
// screen, unless it holds an error to read (data-keep-open). Without JavaScript it stays
// open everywhere, as rendered.
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 720px)");
  function apply() {
    document.querySelectorAll("details.fold").forEach(function (fold) {
      fold.open = !narrow.matches || fold.hasAttribute("data-keep-open");
    });
  }
  apply();
  narrow.addEventListener("change", apply);
})();
