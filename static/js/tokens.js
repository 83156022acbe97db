// "Add API token" in a dialog: the button's form is posted with fetch and the generated
// token, its Copy button and the description field are shown in a <dialog>. Without
// JavaScript (or <dialog>) the same form posts normally and the same content is a page.
// Closing the dialog without saving (Escape) discards the token, as the page's Discard does.
(function () {
  "use strict";

  var form = document.getElementById("add-token-form");
  var dialog = document.getElementById("token-dialog");
  if (!form || !dialog || typeof dialog.showModal !== "function" || !window.fetch) {
    return;
  }

  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var content = page.getElementById("token-dialog-content");
    if (!content) {
      return false;
    }
    dialog.replaceChildren(document.importNode(content, true));
    if (window.commboxCopy) {
      window.commboxCopy.bind(dialog);
    }
    dialog.showModal();
    var description = dialog.querySelector("input[name=description]");
    if (description) {
      description.focus();
    }
    return true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button.disabled) {
      return;
    }
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "manual",
    })
      .then(function (response) {
        if (response.type === "opaqueredirect") {
          // Pressed twice: the server generated nothing and says so on the list.
          window.location.assign(form.getAttribute("data-list-url"));
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null && !show(html)) {
          window.location.assign(form.getAttribute("data-list-url"));
        }
      })
      .catch(function () {
        window.location.assign(form.getAttribute("data-list-url"));
      });
  });

  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    var discard = dialog.querySelector("#discard-token-form");
    if (discard) {
      discard.submit();
    }
  });
})();
