// An unattended lobby tablet comes back by itself.
//
// When the page's connection to its kiosk closes (the kiosk service restarted, the
// network dropped, a member of staff closed that kiosk), textual-serve's page shows a
// Restart button and waits for someone to press it: in an empty lobby, nobody does.
// Instead, every few seconds the page asks the server whether it answers, and opens the
// kiosk afresh as soon as it does.
(function () {
  "use strict";

  const EVERY_MS = 5000;
  let retrying = false;

  function answering() {
    return fetch(window.location.pathname, { method: "HEAD", cache: "no-store" }).then(
      (response) => response.ok,
      () => false,
    );
  }

  function retry() {
    answering().then(function (ok) {
      if (ok) {
        window.location.href = getStartUrl(); // the page's own, as its Restart button uses
      } else {
        setTimeout(retry, EVERY_MS);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    new MutationObserver(function () {
      if (!retrying && document.body.classList.contains("-closed")) {
        retrying = true;
        setTimeout(retry, EVERY_MS);
      }
    }).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  });
})();
