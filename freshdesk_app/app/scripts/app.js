/*
 * SautiDesk's phone in Freshdesk's CTI sidebar (docs/freshdesk-app.md in the SautiDesk repository).
 *
 * The app holds no call logic: it asks SautiDesk. Two request templates (config/requests.json)
 * go through Freshworks' request proxy, which adds the app token: `startSession` when the
 * sidebar loads and hourly, `placeCall` when the agent presses Call. Between them the sidebar
 * polls SautiDesk directly with the short-lived live token the session hands out, because
 * Freshworks allows 50 template requests a minute for the whole account.
 */
(function () {
  "use strict";

  var RETRY_MS = 30000;
  var TICKET_CONTEXT_MAX_AGE_MS = 30 * 60 * 1000;
  var state = {
    client: null,
    agentId: null,
    live: null,            // {url, token, expires_in, poll_ms} from the session
    pollTimer: null,
    sessionTimer: null,
    currentCall: null,     // SautiDesk's id of the call placed here last
    shown: {},             // incoming call id -> the sidebar was opened for it
    opened: {},            // incoming call id -> ticket id opened for it
    ticketContext: null    // {ticketId, numbers, at} from the ticket page (ticket_background.js)
  };

  function el(id) { return document.getElementById(id); }

  function say(text, isError) {
    el("status").textContent = text;
    el("status").classList.toggle("error", !!isError);
  }

  function showNotice(text) {
    el("notice").textContent = text || "";
    el("notice").hidden = !text;
    el("call-form").hidden = !!text;
  }

  function parse(body) {
    if (body && typeof body === "object") { return body; }
    try { return JSON.parse(body); } catch (e) { return {}; }
  }

  /* The context and body of a template request (the template names the agent in its path). */
  function templateOptions(body) {
    var options = {context: {agent_id: state.agentId}};
    if (body) { options.body = JSON.stringify(body); }
    return options;
  }

  /* Freshworks answers a template request with {status, headers, response}; a failure is
     rejected with the same shape, the response text being SautiDesk's {"error": ...}. */
  function settle(request) {
    return request.then(function (result) {
      return parse(result.response);
    }, function (failure) {
      var status = failure && failure.status;
      var data = parse(failure && failure.response);
      var error = new Error(data.error || data.detail || unreachable(status));
      error.status = status;
      throw error;
    });
  }

  function unreachable(status) {
    if (status === 429) {
      return "Freshdesk's request limit for this app is reached for the moment; try again in a minute.";
    }
    return "Could not reach SautiDesk" + (status ? " (HTTP " + status + ")" : "") +
      ". Try again; if it keeps failing, an admin checks the app's SautiDesk address.";
  }


  function openSidebar() {
    return state.client.interface.trigger("show", {id: "softphone"}).catch(function () {});
  }

  function openTicket(ticketId) {
    return state.client.interface.trigger("click", {id: "ticket", value: ticketId}).catch(function () {});
  }

  function ticketButton(ticketId, label) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = label || "#" + ticketId;
    button.addEventListener("click", function () { openTicket(ticketId); });
    return button;
  }

  function renderIncoming(pop) {
    var box = el("incoming");
    if (!pop) { box.hidden = true; return; }
    el("incoming-who").textContent = pop.name ? pop.name + " · " + pop.from : pop.from;
    el("incoming-status").textContent = pop.status_display;
    var ticketLine = el("incoming-ticket");
    if (pop.ticket) {
      var button = ticketButton(pop.ticket.id, "Open ticket #" + pop.ticket.id);
      button.id = "incoming-ticket-link";
      ticketLine.replaceChildren(button);
    } else {
      ticketLine.textContent = "No ticket for this number yet: it opens here once SautiDesk creates it.";
    }
    var callbacks = pop.open_callbacks || [];
    el("incoming-callbacks").replaceChildren.apply(el("incoming-callbacks"), callbacks.map(function (ticket) {
      var item = document.createElement("li");
      item.appendChild(ticketButton(ticket.id));
      item.appendChild(document.createTextNode(" " + (ticket.subject || "")));
      return item;
    }));
    el("incoming-callbacks-box").hidden = !callbacks.length;
    box.hidden = false;
    if (!state.shown[pop.id]) {
      state.shown[pop.id] = true;
      openSidebar();
    }
    // Once per call, as soon as the caller has a ticket: the agent may be typing in it later.
    if (pop.ticket && !state.opened[pop.id]) {
      state.opened[pop.id] = pop.ticket.id;
      openTicket(pop.ticket.id);
    }
  }

  function renderCalls(calls) {
    var items = calls.map(function (call) {
      var item = document.createElement("li");
      var number = document.createElement("span");
      number.className = "number";
      number.textContent = (call.direction === "outbound" ? "To " : "From ") + call.number;
      var status = document.createElement("span");
      status.textContent = call.status_display;
      if (call.status === "failed") { status.className = "failed"; }
      var detail = document.createElement("span");
      detail.className = "detail";
      var parts = [];
      if (call.failure_status) { parts.push(call.failure_status); }
      if (call.duration_seconds !== null) { parts.push(call.duration_seconds + "s"); }
      if (call.cost_kes) { parts.push("KES " + call.cost_kes); }
      detail.textContent = parts.join(" · ") + (parts.length && call.ticket_id ? " · " : "");
      if (call.ticket_id) { detail.appendChild(ticketButton(call.ticket_id)); }
      item.append(number, status, detail);
      return item;
    });
    if (!items.length) {
      var empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "No calls yet.";
      items.push(empty);
    }
    el("calls").replaceChildren.apply(el("calls"), items);
  }

  function render(data) {
    renderIncoming(data.incoming);
    renderCalls(data.calls || []);
    if (state.currentCall !== null) {
      var mine = (data.calls || []).filter(function (call) { return call.id === state.currentCall; })[0];
      if (mine) { say(mine.summary, mine.status === "failed"); }
    }
  }

  function schedulePoll() {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(poll, state.live.poll_ms);
  }

  function poll() {
    var live = state.live;
    if (!live) { return; }
    fetch(live.url, {
      headers: {"Authorization": "Bearer " + live.token, "Accept": "application/json"},
      credentials: "omit", cache: "no-store"
    }).then(function (response) {
      if (response.status === 401) {
        // Expired, or the app token was revoked: a new session says which.
        state.live = null;
        startSession();
        return null;
      }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) { render(data); }
    }).catch(function () {
      /* a missed poll is retried in a moment */
    }).then(function () {
      if (state.live === live) { schedulePoll(); }
    });
  }

  function startSession() {
    clearTimeout(state.sessionTimer);
    clearTimeout(state.pollTimer);
    return settle(state.client.request.invokeTemplate("startSession", templateOptions())).then(function (data) {
      state.live = data.live;
      el("agent-name").textContent = data.agent.name;
      showNotice("");
      el("call-button").disabled = false;
      // Replaces "Connecting…" or an earlier failure to connect; never a call's status.
      if (/^Connecting/.test(el("status").textContent) || el("status").classList.contains("error")) {
        say("Ready.");
      }
      render(data);
      schedulePoll();
      // Renewed five minutes before the live token expires.
      state.sessionTimer = setTimeout(startSession, Math.max(60, data.live.expires_in - 300) * 1000);
    }, function (error) {
      state.live = null;
      el("call-button").disabled = true;
      if (error.status === 401 || error.status === 403) {
        // Not linked, or the token was refused: nothing changes until an admin acts.
        showNotice(error.message + " Then reload Freshdesk.");
        return;
      }
      say(error.message, true);
      state.sessionTimer = setTimeout(startSession, RETRY_MS);
    });
  }

  function digits(text) { return String(text || "").replace(/\D/g, ""); }

  /* The ticket the agent has open, if the number clicked is its requester's: the last nine
     digits match, so 0712 345 678 and +254 712 345 678 are one number. */
  function ticketFor(number) {
    var context = state.ticketContext;
    if (!context || Date.now() - context.at > TICKET_CONTEXT_MAX_AGE_MS) { return null; }
    var wanted = digits(number).slice(-9);
    if (wanted.length < 7) { return null; }
    var match = context.numbers.some(function (candidate) { return digits(candidate).slice(-9) === wanted; });
    return match ? context.ticketId : null;
  }

  function onDial(event) {
    var data = (event && event.helper && event.helper.getData()) || {};
    var number = typeof data.number === "string" ? data.number.trim() : "";
    if (!number) { return; }
    el("number").value = number;
    var ticketId = ticketFor(number);
    el("ticket").value = ticketId ? String(ticketId) : "";
    el("ticket-hint").textContent = ticketId ? "The ticket you have open: the call is logged on it." : "";
    if (state.live) { say("Ready to call " + number + "."); }
    openSidebar();
    el("call-button").focus();
  }

  function onInstanceMessage(event) {
    var data = event && event.helper && event.helper.getData();
    var message = data && data.message;
    if (!message || message.type !== "sautidesk.ticket") { return; }
    var ticketId = parseInt(message.ticket_id, 10);
    if (!(ticketId > 0)) { return; }
    var numbers = Array.isArray(message.numbers) ? message.numbers.filter(function (n) { return typeof n === "string"; }) : [];
    state.ticketContext = {ticketId: ticketId, numbers: numbers, at: Date.now()};
  }

  function requestId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  function onCall(event) {
    event.preventDefault();
    var button = el("call-button");
    if (button.disabled) { return; }
    var body = {to: el("number").value, request_id: requestId()};
    var ticket = el("ticket").value.trim();
    if (ticket) {
      if (!/^[0-9]{1,18}$/.test(ticket)) { say("The ticket number must be digits only.", true); return; }
      body.ticket_id = parseInt(ticket, 10);
    }
    button.disabled = true;
    say("Placing the call…");
    settle(state.client.request.invokeTemplate("placeCall", templateOptions(body))).then(function (call) {
      state.currentCall = call.id;
      el("number").value = call.to;
      say(call.summary + (call.duplicate ? " (you already started this call)" : ""));
    }, function (error) {
      say(error.message, true);
      if (error.status === 401 || error.status === 403) { startSession(); }
    }).then(function () { button.disabled = !state.live; });
  }

  app.initialized().then(function (client) {
    state.client = client;
    client.events.on("cti.triggerDialer", onDial);
    client.instance.receive(onInstanceMessage);
    el("call-form").addEventListener("submit", onCall);
    return client.data.get("loggedInUser");
  }).then(function (data) {
    state.agentId = data.loggedInUser.id;
    return startSession();
  }).catch(function () {
    say("The phone could not start inside Freshdesk; reload the page.", true);
  });
})();
