// LTI Platform Storage (lti-cs-oidc / lti-pm-s drafts): keep the login nonce in the platform's
// frame instead of a cookie, then read it back at launch. Data comes from #lti-storage.
(function () {
  "use strict";
  var el = document.getElementById("lti-storage");
  if (!el) { return; }
  var d = el.dataset;
  var status = document.getElementById("lti-storage-status");
  var parentWin = window.opener || window.parent;
  var target = parentWin;
  if (d.target && d.target !== "_parent") {
    try { target = parentWin.frames[d.target] || parentWin; } catch (e) { target = parentWin; }
  }
  var messageId = "m" + Math.random().toString(36).slice(2);
  var done = false;

  function fallback() {
    if (done) { return; }
    done = true;
    if (d.mode === "put") { window.location.href = d.next; return; }
    if (status) { status.textContent = "The course page did not answer. Please open the tool again from your course."; }
  }

  window.addEventListener("message", function (event) {
    var m = event.data || {};
    if (event.origin !== d.origin || m.message_id !== messageId || done) { return; }
    done = true;
    if (d.mode === "put") {
      window.location.href = d.next;
    } else {
      var form = document.getElementById("lti-storage-form");
      form.elements.lti_storage_nonce.value = (m.value || "");
      form.submit();
    }
  });

  var message = { subject: d.mode === "put" ? "lti.put_data" : "lti.get_data", message_id: messageId, key: d.key };
  if (d.mode === "put") { message.value = d.value; }
  try { target.postMessage(message, d.origin); } catch (e) { fallback(); }
  window.setTimeout(fallback, 2000);
})();
