/* centric cookie banner: plain JavaScript, no framework, no dependency. Paste into every page:
 *   <script src="https://YOUR-CENTRIC/consent.js" data-write-key="WRITE-KEY" data-lang="ca"
 *           data-user="C123" async></script>
 * data-lang (optional) picks the language, else the browser's; data-user (optional) is the signed-in
 * customer. The choice is kept in localStorage ("centric_consent") and sent to the collector as a
 * Segment track call "Consent Updated" with context.consent.categoryPreferences {essential, personalization,
 * analytics, marketing}, which centric loads into its consents ledger. window.centricConsent.open()
 * shows the banner again (link it from "Cookie settings"); the page hears a "centric:consent" event.
 * Built with DOM nodes and textContent only; keyboard: Tab moves, Escape closes the choices.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-write-key]");
  if (!script) { return; }
  var base = script.getAttribute("data-api") || new URL(script.src, document.baseURI).origin;
  var writeKey = script.getAttribute("data-write-key");
  var user = script.getAttribute("data-user");
  var lang = script.getAttribute("data-lang") || (navigator.language || "en").slice(0, 2).toLowerCase();
  var STORE = "centric_consent";
  var CATEGORIES = ["essential", "personalization", "analytics", "marketing"];

  function saved() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "null"); } catch (e) { return null; }
  }

  function anonymousId() {
    var id = null;
    try { id = window.localStorage.getItem("centric_anonymous_id"); } catch (e) { /* storage off */ }
    if (!id) {
      id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
        : Math.random().toString(16).slice(2) + Date.now().toString(16);
      try { window.localStorage.setItem("centric_anonymous_id", id); } catch (e) { /* storage off */ }
    }
    return id;
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function record(choice) {
    var message = {
      writeKey: writeKey, type: "track", event: "Consent Updated", anonymousId: anonymousId(),
      messageId: "consent-" + anonymousId() + "-" + Date.now().toString(16),
      timestamp: new Date().toISOString(), properties: {},
      context: { consent: { categoryPreferences: choice }, locale: lang, page: { url: location.href } }
    };
    if (user) { message.userId = user; }
    try { window.localStorage.setItem(STORE, JSON.stringify({ choice: choice, at: message.timestamp })); } catch (e) { }
    document.dispatchEvent(new CustomEvent("centric:consent", { detail: choice }));
    // text/plain, as analytics.js sends: a simple request, no CORS preflight
    return fetch(base + "/v1/t", { method: "POST", headers: { "Content-Type": "text/plain" },
                                   body: JSON.stringify(message), keepalive: true });
  }

  function build(words) {
    var old = document.getElementById("centric-consent");
    if (old) { old.parentNode.removeChild(old); }
    var box = el("section", { id: "centric-consent", role: "dialog", "aria-modal": "false",
                              "aria-labelledby": "centric-consent-title", "aria-describedby": "centric-consent-text",
                              lang: words.lang });
    box.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;box-sizing:border-box;" +
      "max-height:100vh;overflow:auto;font:15px/1.45 system-ui,sans-serif;background:#fff;color:#1d2330;" +
      "border-top:2px solid #1d2330;padding:16px;box-shadow:0 -2px 12px rgba(0,0,0,.15)";
    var inner = el("div", {});
    inner.style.cssText = "max-width:60em;margin:0 auto";
    var title = el("h2", { id: "centric-consent-title" }, words.title);
    title.style.cssText = "font-size:17px;margin:0 0 6px";
    inner.appendChild(title);
    inner.appendChild(el("p", { id: "centric-consent-text" }, words.text));
    var previous = (saved() || {}).choice || {};
    var form = el("form", { "class": "centric-consent-choices" });
    form.hidden = true;
    var fieldset = el("fieldset", {});
    fieldset.style.cssText = "border:0;padding:0;margin:0 0 10px";
    CATEGORIES.forEach(function (category) {
      var row = el("div", {});
      row.style.cssText = "margin:6px 0";
      var box2 = el("input", { type: "checkbox", id: "centric-c-" + category, name: category });
      box2.checked = category === "essential" || previous[category] === true;
      if (category === "essential") { box2.disabled = true; }
      var label = el("label", { "for": "centric-c-" + category }, " " + words[category]);
      label.style.fontWeight = "600";
      var help = el("div", { id: "centric-h-" + category }, words[category + "_help"]);
      help.style.cssText = "font-size:13px;color:#4f566b;margin-left:1.6em";
      box2.setAttribute("aria-describedby", "centric-h-" + category);
      row.appendChild(box2); row.appendChild(label); row.appendChild(help);
      fieldset.appendChild(row);
    });
    form.appendChild(fieldset);
    var buttons = el("div", {});
    buttons.style.cssText = "display:flex;flex-wrap:wrap;gap:8px";
    function button(text, cls) {
      var b = el("button", { type: "button", "class": cls }, text);
      b.style.cssText = "font:inherit;padding:8px 14px;border-radius:6px;border:1px solid #1d2330;cursor:pointer;" +
        (cls === "centric-accept" ? "background:#1d2330;color:#fff" : "background:#fff;color:#1d2330");
      return b;
    }
    var accept = button(words.accept, "centric-accept");
    var reject = button(words.reject, "centric-reject");  // as easy to refuse as to accept
    var choose = button(words.choose, "centric-choose");
    var save = button(words.save, "centric-save");
    save.hidden = true;
    var status = el("p", { role: "status", "aria-live": "polite", "class": "centric-consent-status" });

    function finish(choice) {
      record(choice).catch(function () { /* the choice is kept locally; the shop still works */ });
      while (box.firstChild) { box.removeChild(box.firstChild); }
      box.appendChild(el("p", { role: "status", "aria-live": "polite", "class": "centric-consent-saved" }, words.saved));
      setTimeout(function () { if (box.parentNode) { box.parentNode.removeChild(box); } }, 2500);
    }
    function all(value) {
      var choice = {};
      CATEGORIES.forEach(function (c) { choice[c] = c === "essential" ? true : value; });
      return choice;
    }
    accept.addEventListener("click", function () { finish(all(true)); });
    reject.addEventListener("click", function () { finish(all(false)); });
    choose.addEventListener("click", function () {
      form.hidden = false; save.hidden = false; choose.hidden = true;
      form.querySelector("input:not([disabled])").focus();
    });
    save.addEventListener("click", function () {
      var choice = {};
      CATEGORIES.forEach(function (c) { choice[c] = c === "essential" ? true : form.elements[c].checked; });
      finish(choice);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !form.hidden) { form.hidden = true; save.hidden = true; choose.hidden = false; choose.focus(); }
    });
    inner.appendChild(form);
    buttons.appendChild(accept); buttons.appendChild(reject); buttons.appendChild(choose); buttons.appendChild(save);
    inner.appendChild(buttons);
    inner.appendChild(status);
    box.appendChild(inner);
    document.body.appendChild(box);
    accept.focus({ preventScroll: true });
  }

  function open() {
    return fetch(base + "/api/consent/texts?lang=" + encodeURIComponent(lang))
      .then(function (r) { return r.json(); })
      .then(build)
      .catch(function () { /* a banner that cannot load stays away: the shop's page is not broken */ });
  }

  window.centricConsent = { open: open, choice: function () { return (saved() || {}).choice || null; } };
  if (!saved()) {
    if (document.body) { open(); } else { document.addEventListener("DOMContentLoaded", open); }
  }
})();
