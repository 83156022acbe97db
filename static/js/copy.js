// Copy buttons: <button data-copy-target="id"> copies the text of the element with that id.
// Without the Clipboard API (plain http on another host, old browsers) the text is selected
// so the user can press Ctrl+C / Cmd+C. window.commboxCopy.bind(root) wires buttons that
// arrive later (the Add API token dialog).
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function report(button, text) {
    var status = button.parentElement.querySelector(".copy-status");
    if (status) {
      status.textContent = text;
    }
  }

  function copy(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    var text = target.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () {
          report(button, "Copied.");
        },
        function () {
          selectText(target);
          report(button, "Selected: press Ctrl+C (Cmd+C on a Mac) to copy.");
        }
      );
    } else {
      selectText(target);
      report(button, "Selected: press Ctrl+C (Cmd+C on a Mac) to copy.");
    }
  }

  function bind(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (button.dataset.copyBound) {
        return;
      }
      button.dataset.copyBound = "yes";
      button.hidden = false;
      button.addEventListener("click", function () {
        copy(button);
      });
    });
  }

  window.commboxCopy = { bind: bind };
  bind(document);
})();
