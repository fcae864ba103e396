// Start GOV.UK Frontend and MOJ Frontend components. Loaded as a module so that no
// inline script of ours is needed and a strict Content-Security-Policy holds.
import { initAll as initGovUk } from "./govuk-frontend.min.js";
import { initAll as initMoj } from "./moj-frontend.min.js";

initGovUk();
initMoj();
