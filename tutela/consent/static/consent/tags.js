// Google's tags, for the groups the visitor allowed. The server renders this script (and the
// gtag.js it configures) only after consent, and the CSP allows Google's hosts only then.
// Google's consent mode is set from the same choice, so an analytics-only visitor's tag never
// stores advertising cookies; cookies are kept on this host and last no longer than the choice.
(function () {
  "use strict";
  var data = (document.currentScript && document.currentScript.dataset) || {};
  var analytics = data.analyticsId || "";
  var advertising = data.advertisingId || "";
  window.dataLayer = window.dataLayer || [];
  function gtag() {
    window.dataLayer.push(arguments);
  }
  var ads = advertising ? "granted" : "denied";
  gtag("consent", "default", {
    analytics_storage: analytics ? "granted" : "denied",
    ad_storage: ads,
    ad_user_data: ads,
    ad_personalization: ads,
  });
  gtag("js", new Date());
  var cookies = { cookie_domain: "none", cookie_expires: Number(data.cookieExpires) || 0 };
  if (analytics) {
    gtag("config", analytics, Object.assign({
      allow_google_signals: Boolean(advertising),
      allow_ad_personalization_signals: Boolean(advertising),
    }, cookies));
  }
  if (advertising) {
    gtag("config", advertising, cookies);
  }
})();
