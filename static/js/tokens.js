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

  // Save, Discard and Escape each load the list again; focus then returns to Add API token,
  // the button that opened the dialog, as it would if the dialog had only closed.
  var RETURN_FOCUS = "commbox-token-dialog-opener";
  function returnFocusAfterLoad() {
    try {
      window.sessionStorage.setItem(RETURN_FOCUS, "1");
    } catch (error) {
      // Storage refused (private mode): focus starts at the top of the page as usual.
    }
  }
  try {
    if (window.sessionStorage.getItem(RETURN_FOCUS)) {
      window.sessionStorage.removeItem(RETURN_FOCUS);
      form.querySelector("button[type=submit]").focus();
    }
  } catch (error) {
    // As above.
  }
  dialog.addEventListener("submit", returnFocusAfterLoad);

  // A modal <dialog> makes the page inert, but Tab past its last control still leaves it
  // (for the browser's own controls); Tab and Shift+Tab cycle through the dialog instead.
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") {
      return;
    }
    var controls = Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"),
      function (control) {
        return !control.disabled && control.tabIndex >= 0 && control.getClientRects().length > 0;
      }
    );
    if (!controls.length) {
      return;
    }
    var first = controls[0];
    var last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

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
      returnFocusAfterLoad();
      discard.submit();
    }
  });
})();
