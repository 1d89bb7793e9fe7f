// Focus after a page load: an error summary or result marked data-autofocus, else the element
// named by the URL's #fragment (the redirect after a submission points at the new step's
// heading), so keyboard and screen-reader users continue where the page changed.
(function () {
  "use strict";
  function focusTarget() {
    var target = document.querySelector("[data-autofocus]");
    if (!target && window.location.hash.length > 1) {
      target = document.getElementById(decodeURIComponent(window.location.hash.slice(1)));
    }
    if (target) {
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusTarget);
  } else {
    focusTarget();
  }
})();
