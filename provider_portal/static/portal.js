// Progressive enhancement only: every page works without this file.
// The CSRF token travels on every htmx request through hx-headers on <body>.
import { initAll } from "/vendor/govuk-frontend.min.js";

initAll();

if (window.htmx) {
  // GOV.UK components inside swapped-in content need initialising too.
  window.htmx.onLoad((element) => {
    if (element !== document.body) {
      initAll({ scope: element });
    }
  });
}
