/* centric survey widget: plain JavaScript, no framework. Paste into a page:
 *   <script src="https://YOUR-CENTRIC/widget.js" data-survey="nps-post-purchase"
 *           data-customer="C123" data-token="SIGNED-TOKEN" data-lang="es" async></script>
 * Optional: data-score="9" (prefilled from an e-mail link: shown selected, sent, and the customer may pick
 * another score, which replaces it), data-target="#element-id", data-order="O1". A link also gives
 * data-expires and data-send, signed by data-token with the survey and the customer.
 * Everything is built with DOM nodes and textContent: nothing a survey or customer wrote is parsed as HTML.
 * The widget's own words come with the survey ("ui", from centric's catalogues in en, es, ca and pt).
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-survey]");
  if (!script) { return; }
  var base = script.getAttribute("data-api") || new URL(script.src, document.baseURI).origin;
  var surveyId = script.getAttribute("data-survey");
  var lang = script.getAttribute("data-lang") || (navigator.language || "en").slice(0, 2).toLowerCase();
  var customer = script.getAttribute("data-customer");
  var token = script.getAttribute("data-token");
  var order = script.getAttribute("data-order");
  var prefilled = script.getAttribute("data-score");
  var expires = script.getAttribute("data-expires");
  var send = script.getAttribute("data-send");
  var responseId = Math.random().toString(16).slice(2) + Date.now().toString(16);
  var FALLBACK = { send: "Send", thanks: "Thank you for your answer!", close: "Close",
                   error: "Sorry, that did not work: ", choose_first: "choose a score first",
                   score_of: "%(score)s out of %(max)s" };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function post(path, method, body) {
    return fetch(base + path, {
      method: method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) { throw new Error(data.error || r.statusText); }
        return data;
      });
    });
  }

  function render(survey) {
    var words = survey.ui || FALLBACK;
    var box = el("section", { "class": "centric-survey", role: "dialog", "aria-labelledby": "centric-q",
                              "data-survey": survey.survey_id, lang: survey.language });
    box.style.cssText = "font:15px/1.4 system-ui,sans-serif;max-width:34em;padding:1em;border:1px solid #ccc;" +
      "border-radius:8px;background:#fff;color:#222";
    var question = el("p", { id: "centric-q" }, survey.question);
    question.style.fontWeight = "600";
    box.appendChild(question);
    var status = el("p", { role: "status", "aria-live": "polite", "class": "centric-status" });
    var chosen = null;
    var followUp = null;
    var reply = null;            // {response_id, response_token} of the answer stored last
    var queue = Promise.resolve();  // answers go one after another, so the last one chosen wins

    function select(value) {
      var buttons = box.querySelectorAll(".centric-score");
      for (var i = 0; i < buttons.length; i++) {
        var on = buttons[i].getAttribute("data-score") === String(value);
        buttons[i].setAttribute("aria-pressed", on ? "true" : "false");
        buttons[i].className = on ? "centric-score centric-selected" : "centric-score";
        buttons[i].style.background = on ? "#1a5fb4" : "";
        buttons[i].style.color = on ? "#fff" : "";
      }
    }

    function fail(err) { status.textContent = words.error + err.message; }

    function thank() {
      while (box.firstChild) { box.removeChild(box.firstChild); }
      box.appendChild(el("p", { role: "status", "aria-live": "polite", "class": "centric-thanks" }, words.thanks));
    }

    function answerPayload(extra) {
      var payload = { customer_id: customer, token: token, order_id: order, language: survey.language,
                      response_id: responseId, channel: prefilled !== null || send ? "email" : "widget" };
      if (expires) { payload.expires = Number(expires); }
      if (send) { payload.send = send; }
      Object.keys(extra).forEach(function (k) { payload[k] = extra[k]; });
      return payload;
    }

    function sendScore(value) {
      chosen = value;
      select(value);
      status.textContent = "";
      queue = queue.then(function () {
        return post("/api/surveys/" + encodeURIComponent(survey.survey_id) + "/responses", "POST",
                    answerPayload({ score: value }))
          .then(function (data) { reply = data; showFollowUp(); }, fail);
      });
      return queue;
    }

    function showFollowUp() {
      if (!survey.follow_up && survey.min !== null) { thank(); return; }
      if (followUp) { return; }
      followUp = el("form", { "class": "centric-follow-up" });
      var label = el("label", { "for": "centric-text" }, survey.min === null ? survey.question : survey.follow_up);
      label.style.display = "block";
      var area = el("textarea", { id: "centric-text", name: "text", rows: "3", maxlength: "5000" });
      area.style.cssText = "width:100%;box-sizing:border-box";
      var send = el("button", { type: "submit" }, words.send);
      followUp.appendChild(label); followUp.appendChild(area); followUp.appendChild(send);
      followUp.addEventListener("submit", function (event) {
        event.preventDefault();
        var path = "/api/surveys/" + encodeURIComponent(survey.survey_id) + "/responses";
        var done = survey.min === null
          ? post(path, "POST", answerPayload({ text: area.value }))
          : queue.then(function () {
              if (!reply) { throw new Error(words.choose_first || FALLBACK.choose_first); }
              return post(path + "/" + encodeURIComponent(reply.response_id), "PUT",
                          { text: area.value, response_token: reply.response_token });
            });
        done.then(thank, fail);
      });
      box.appendChild(followUp);
      area.focus();
    }

    if (survey.min !== null && survey.max !== null) {
      var scale = el("div", { role: "group", "aria-labelledby": "centric-q", "class": "centric-scale" });
      for (var v = survey.min; v <= survey.max; v++) {
        (function (value) {
          var b = el("button", { type: "button", "class": "centric-score", "data-score": String(value),
                                 "aria-label": (words.score_of || FALLBACK.score_of)
                                   .replace("%(score)s", String(value)).replace("%(max)s", String(survey.max)) }, value);
          b.style.cssText = "min-width:2.4em;min-height:2.4em;margin:2px";
          b.setAttribute("aria-pressed", "false");
          b.addEventListener("click", function () {
            if (chosen !== value) { sendScore(value); }
          });
          scale.appendChild(b);
        })(v);
      }
      box.appendChild(scale);
    } else {
      chosen = "text";
      showFollowUp();
    }
    box.appendChild(status);
    var target = script.getAttribute("data-target");
    var host = (target && document.querySelector(target)) || document.body;
    host.appendChild(box);
    if (prefilled !== null && prefilled !== "") { sendScore(Number(prefilled)); }
  }

  fetch(base + "/api/surveys/" + encodeURIComponent(surveyId) + "?lang=" + encodeURIComponent(lang))
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (survey) { if (survey && survey.status === "open") { render(survey); } })
    .catch(function () { /* a survey that cannot load stays invisible: the shop's page is not broken */ });
})();
