// Start GOV.UK Frontend and MOJ Frontend components, and show the state of live updates.
// Loaded as a module so that no inline script of ours is needed and a strict
// Content-Security-Policy holds.
import { createAll, initAll as initGovUk } from "./govuk-frontend.min.js";
import { FilterToggleButton, initAll as initMoj } from "./moj-frontend.min.js";

initGovUk();
initMoj();
// MOJ's initAll() leaves the filter out: start it, so that on small screens the filter
// panel folds behind a "Show filter" button instead of covering the page. It starts
// hidden by default even on a desktop, where it has room beside the results: not here.
createAll(FilterToggleButton, { startHidden: false });

// The live stream (htmx's SSE extension on <body>) says when it connects and drops; the
// status element announces changes politely to screen readers.
const status = document.getElementById("live-status");
function showLive(state, words) {
  if (status && status.dataset.state !== state) {
    status.dataset.state = state;
    status.textContent = words;
  }
}
document.body.addEventListener("htmx:sseOpen", () => showLive("connected", "Live updates: on"));
document.body.addEventListener("htmx:sseError", () =>
  showLive("reconnecting", "Live updates: reconnecting"),
);

// Resume from the last event seen. After an error htmx's SSE extension opens a new stream
// on the body's sse-connect address, without the browser's Last-Event-ID: keeping the
// newest id in that address makes any reconnect carry on where the page left off, with
// nothing missed and nothing twice. Every event comes once under its general name.
const GENERAL_EVENTS = ["referral", "capacity", "counter", "resync", "message"];
function rememberPosition(id) {
  const address = document.body.getAttribute("sse-connect");
  if (!address || !/^[0-9]+$/.test(id)) {
    return;
  }
  const url = new URL(address, window.location.href);
  url.searchParams.set("last_event_id", id);
  document.body.setAttribute("sse-connect", url.pathname + url.search);
}
document.body.addEventListener("htmx:sseOpen", (event) => {
  const source = event.detail && event.detail.source;
  if (!source || source.partnershipResumes) {
    return;
  }
  source.partnershipResumes = true;
  for (const name of GENERAL_EVENTS) {
    source.addEventListener(name, (message) => rememberPosition(message.lastEventId));
  }
});

// Content htmx puts in place arrived after initAll(): start its GOV.UK components. An error
// summary takes focus as it starts; otherwise the result of a post (marked data-app-focus
// by the server) takes it, so that keyboard and screen reader users land on what changed.
document.body.addEventListener("htmx:afterSettle", (event) => {
  const swapped = event.target;
  initGovUk(swapped);
  const result = swapped.matches("[data-app-focus]")
    ? swapped
    : swapped.querySelector("[data-app-focus]");
  if (result && !swapped.querySelector(".govuk-error-summary")) {
    result.removeAttribute("data-app-focus");
    result.focus();
  }
});
