// "Add API token" and "Replace" in a dialog: the button's form is posted with fetch and the
// generated token, its Copy button, the description and the expiry are shown in a <dialog>.
// Without JavaScript (or <dialog>) the same forms post normally and the content is a page.
//
// The full token is shown only here, so nothing a person can get wrong may lose it: the
// description is checked before anything is sent, and a Save the server refuses replaces
// only the form, beside the token that stays on screen. Closing the dialog without saving
// (Escape or Discard) discards the token and returns focus to the button that opened it.
(function () {
  "use strict";

  var MAX_LENGTH = 100;
  var dialog = document.getElementById("token-dialog");
  var opener = null;

  // A Save loads the list again; focus then returns to the button that opened the dialog
  // (Add API token), as it would if the dialog had only closed.
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
      var first = document.querySelector("form[data-token-dialog] button[type=submit]");
      if (first) {
        first.focus();
      }
    }
  } catch (error) {
    // As above.
  }

  function normalised(value) {
    return value.split(/\s+/).filter(Boolean).join(" ");
  }

  function takenDescriptions(form) {
    var data = form.querySelector("#taken-descriptions");
    return data ? JSON.parse(data.textContent) : [];
  }

  function descriptionError(form, value) {
    if (!value) {
      return "Enter a description for the token.";
    }
    if (value.length > MAX_LENGTH) {
      return "The description is at most " + MAX_LENGTH + " characters.";
    }
    if (takenDescriptions(form).indexOf(value.toLowerCase()) !== -1) {
      return (
        "Another active token is described “" + value + "”; give this one a description " +
        "of its own, so that the list tells them apart."
      );
    }
    return "";
  }

  function setError(input, message) {
    var field = input.closest(".field");
    var old = field.querySelector("ul.errorlist");
    if (old) {
      old.remove();
    }
    field.classList.toggle("has-error", Boolean(message));
    var described = (input.getAttribute("aria-describedby") || "")
      .split(" ")
      .filter(function (id) {
        return id && id !== input.id + "_error";
      });
    if (message) {
      var list = document.createElement("ul");
      list.className = "errorlist";
      list.id = input.id + "_error";
      var item = document.createElement("li");
      item.textContent = message;
      list.appendChild(item);
      field.appendChild(list);
      described.push(list.id);
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    input.setAttribute("aria-describedby", described.join(" "));
  }

  // True if the form may be sent; else the message is beside the field, which has focus.
  function validate(form) {
    var description = form.querySelector("input[name=description]");
    var message = descriptionError(form, normalised(description.value));
    setError(description, message);
    if (message) {
      description.focus();
      return false;
    }
    var expires = form.querySelector("select[name=expires]");
    var date = form.querySelector("input[name=expires_on]");
    if (expires && date && expires.value === "date" && !date.value) {
      setError(date, "Choose the date the token expires.");
      date.focus();
      return false;
    }
    if (date) {
      setError(date, "");
    }
    return true;
  }

  function showDateWhenChosen(form) {
    var expires = form.querySelector("select[name=expires]");
    var date = form.querySelector("input[name=expires_on]");
    if (!expires || !date) {
      return;
    }
    var update = function () {
      date.closest(".field").hidden = expires.value !== "date" && !date.value;
    };
    expires.addEventListener("change", update);
    update();
  }

  function firstInvalid(form) {
    return form.querySelector("[aria-invalid=true]") || form.querySelector("input[name=description]");
  }

  function post(url, body, redirect) {
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: redirect });
  }

  function bindSaveForm(form, inDialog) {
    showDateWhenChosen(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!validate(form)) {
        return;
      }
      if (!inDialog) {
        form.submit();
        return;
      }
      var listUrl = opener ? opener.form.getAttribute("data-list-url") : "/";
      post(form.action, new FormData(form), "manual")
        .then(function (response) {
          if (response.type === "opaqueredirect") {
            returnFocusAfterLoad();
            window.location.assign(listUrl); // saved (or no longer savable): the list says which
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (html === null) {
            return;
          }
          var page = new DOMParser().parseFromString(html, "text/html");
          var refused = page.getElementById("save-token-form");
          if (!refused) {
            window.location.assign(listUrl);
            return;
          }
          // Only the form is replaced: the token above it stays on screen.
          var fresh = document.importNode(refused, true);
          form.replaceWith(fresh);
          bindSaveForm(fresh, true);
          firstInvalid(fresh).focus();
        })
        .catch(function () {
          setError(
            form.querySelector("input[name=description]"),
            "The server could not be reached; copy the token, then press Save again."
          );
        });
    });
  }

  // Page mode (no <dialog>, or the page reached without the dialog): check before sending.
  var pageForm = document.getElementById("save-token-form");
  if (pageForm) {
    bindSaveForm(pageForm, false);
  }

  if (!dialog || typeof dialog.showModal !== "function" || !window.fetch) {
    return;
  }

  function focusable() {
    return Array.prototype.filter.call(
      dialog.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"),
      function (element) {
        return (
          !element.disabled &&
          element.type !== "hidden" &&
          element.tabIndex >= 0 &&
          element.getClientRects().length > 0
        );
      }
    );
  }

  // Tab and Shift+Tab stay inside the dialog, wrapping at either end.
  dialog.addEventListener("keydown", function (event) {
    if (event.key !== "Tab") {
      return;
    }
    var elements = focusable();
    if (!elements.length) {
      return;
    }
    var first = elements[0];
    var last = elements[elements.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  function showMessages(page) {
    var main = document.getElementById("main");
    var fresh = page.querySelector("#main > [role=status]");
    var current = main.querySelector(":scope > [role=status]");
    if (current) {
      current.remove();
    }
    if (fresh) {
      main.insertBefore(document.importNode(fresh, true), main.firstChild);
    }
  }

  // The opener's nonce was used: the page the server answers with holds a fresh one.
  function renewNonces(page) {
    var nonce = page.querySelector("input[name=nonce]");
    if (!nonce) {
      return;
    }
    document.querySelectorAll("form[data-token-dialog] input[name=nonce]").forEach(function (input) {
      input.value = nonce.value;
    });
  }

  function closeAndReturnFocus() {
    dialog.close();
    dialog.replaceChildren();
    if (opener) {
      opener.disabled = false;
      opener.focus();
    }
  }

  function discard() {
    var form = dialog.querySelector("#discard-token-form");
    if (!form) {
      closeAndReturnFocus();
      return;
    }
    post(form.action, new FormData(form), "follow")
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        showMessages(page);
        renewNonces(page);
        closeAndReturnFocus();
      })
      .catch(function () {
        form.submit();
      });
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
    bindSaveForm(dialog.querySelector("#save-token-form"), true);
    dialog.querySelector("#discard-token-form").addEventListener("submit", function (event) {
      event.preventDefault();
      discard();
    });
    dialog.showModal();
    var description = dialog.querySelector("input[name=description]");
    if (description) {
      description.focus();
    }
    return true;
  }

  document.querySelectorAll("form[data-token-dialog]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button.disabled) {
        return;
      }
      button.disabled = true;
      opener = button;
      var listUrl = form.getAttribute("data-list-url");
      post(form.action, new FormData(form), "manual")
        .then(function (response) {
          if (response.type === "opaqueredirect") {
            // Pressed twice, or refused: the server generated nothing and says why there.
            window.location.assign(listUrl);
            return null;
          }
          return response.text();
        })
        .then(function (html) {
          if (html !== null && !show(html)) {
            window.location.assign(listUrl);
          }
        })
        .catch(function () {
          window.location.assign(listUrl);
        });
    });
  });

  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    discard();
  });
})();
