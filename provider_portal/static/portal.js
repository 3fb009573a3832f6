// Progressive enhancement only: every page works without this file.
// The CSRF token travels on every htmx request through hx-headers on <body>.
import { initAll } from "/vendor/govuk-frontend.min.js";

initAll();

const ERROR_PREFIX = "Error: ";
const MOVED = "data-portal-moved";

// Components already on the page are initialised again when their container is the scope:
// GOV.UK Frontend refuses (an InitError) and that is expected, not a problem to log.
function quietlySkipInitialised(error) {
  if (!error || error.name !== "InitError") {
    console.log(error);
  }
}

// The first match in the new content, the element itself included.
function find(element, selector) {
  if (element.matches && element.matches(selector)) {
    return element;
  }
  return element.querySelector ? element.querySelector(selector) : null;
}

function focus(element) {
  element.setAttribute("tabindex", "-1");
  element.focus();
}

// The GOV.UK error pattern for an error returned by htmx: the summary at the top of the main
// content, focused, and "Error: " before the page title while any error summary is shown.
function showErrors(summary) {
  const main = document.getElementById("main-content");
  if (main && main.firstElementChild !== summary) {
    summary.setAttribute(MOVED, "");
    main.prepend(summary);
  }
  focus(summary);
}

function syncTitle() {
  const hasErrors = document.querySelector(".govuk-error-summary") !== null;
  const title = document.title;
  if (hasErrors && !title.startsWith(ERROR_PREFIX)) {
    document.title = ERROR_PREFIX + title;
  } else if (!hasErrors && title.startsWith(ERROR_PREFIX)) {
    document.title = title.slice(ERROR_PREFIX.length);
  }
}

// One short status line says what a filter or page change found; the results themselves are
// never in a live region (a whole table read out on every change).
function announce(text) {
  const status = document.getElementById("portal-status");
  if (!status) {
    return;
  }
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = text.replace(/\s+/g, " ").trim();
  }, 100);
}

if (window.htmx) {
  document.body.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!target || !target.isConnected || !target.hasAttribute("data-portal-results")) {
      return;
    }
    if (document.querySelector(".govuk-error-summary")) {
      return; // the error summary takes focus and speaks for itself
    }
    const count = target.querySelector("[data-portal-count], caption, h2");
    announce(count ? count.textContent : "Results updated");
  });

  // A summary moved to the top belongs to the answer it came with: the next answer replaces it.
  let focusedId = null;
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.shouldSwap) {
      document.querySelectorAll(`[${MOVED}]`).forEach((summary) => summary.remove());
      focusedId = document.activeElement ? document.activeElement.id : null;
    }
  });
  // A control swapped out from under the keyboard (a form sent back in place) gets focus back,
  // rather than focus falling to the body and the next Tab going to the footer.
  document.body.addEventListener("htmx:afterSettle", () => {
    const lost = !document.activeElement || document.activeElement === document.body;
    const again = focusedId ? document.getElementById(focusedId) : null;
    if (lost && again) {
      again.focus();
    }
    focusedId = null;
  });

  window.htmx.onLoad((element) => {
    if (element === document.body) {
      return;
    }
    // initAll only looks inside its scope, so the scope is a container of the new content:
    // a swapped-in banner or error summary is then initialised too.
    initAll({ scope: element.parentElement || element, onError: quietlySkipInitialised });
    // Polling (the import's progress line) must never take focus from what someone is doing.
    if (element.closest && element.closest("[hx-trigger^='every']")) {
      return;
    }
    const summary = find(element, ".govuk-error-summary");
    const banner = find(element, ".govuk-notification-banner");
    if (summary) {
      showErrors(summary);
    } else if (banner) {
      focus(banner);
    }
    syncTitle();
  });
}
