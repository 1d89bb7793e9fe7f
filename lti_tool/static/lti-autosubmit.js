// Deep Linking: post the signed response back to the course system without a click.
// Without JavaScript the visible button does the same.
(function () {
  "use strict";
  var form = document.getElementById("lti-deep-link-form");
  if (form) { form.submit(); }
})();
