// LTI Dynamic Registration: tell the platform the registration is finished.
(function () {
  "use strict";
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
})();
