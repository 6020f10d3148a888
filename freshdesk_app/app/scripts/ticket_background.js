/*
 * Runs unseen on Freshdesk's ticket page and tells the phone sidebar which ticket is open and
 * its requester's numbers. The sidebar (cti_global_sidebar) has no page context of its own;
 * with this, a number clicked on the ticket is called "about" that ticket, so SautiDesk logs
 * the call there. Instance messages are how two locations of one app talk (Freshworks'
 * instance method).
 */
(function () {
  "use strict";

  function share(client) {
    return Promise.all([
      client.data.get("ticket"),
      client.data.get("contact").catch(function () { return {}; })
    ]).then(function (found) {
      var ticket = found[0] && found[0].ticket;
      var contact = (found[1] && found[1].contact) || {};
      if (!ticket || !ticket.id) { return null; }
      return client.instance.get().then(function (instances) {
        var receivers = instances.filter(function (instance) {
          return instance.location === "cti_global_sidebar";
        }).map(function (instance) { return instance.instanceId; });
        if (!receivers.length) { return null; }
        return client.instance.send({
          message: {
            type: "sautidesk.ticket",
            ticket_id: ticket.id,
            numbers: [contact.phone, contact.mobile].filter(function (n) { return typeof n === "string" && n; })
          },
          receiver: receivers
        });
      });
    }).catch(function (error) {
      console.warn("SautiDesk: could not share the open ticket with the phone", error);
    });
  }

  app.initialized().then(function (client) {
    client.events.on("app.activated", function () { share(client); });
  });
})();
