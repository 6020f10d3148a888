/* The Freshworks client object, as the app's locations see it, backed by the stand-in page
   (host.html) and, for request templates, by Python (window.fdkInvokeTemplate). */
(function () {
  "use strict";
  var host = window.parent.fdkHost;
  var frame = window.frameElement;
  var instanceId = frame.dataset.instance;
  var location = frame.dataset.location;

  function event(type, data) {
    return {type: type, helper: {getData: function () { return data; }}};
  }

  var client = {
    context: {location: location},
    events: {
      on: function (name, callback) {
        host.listen(instanceId, name, function (data) { callback(event(name, data)); });
      }
    },
    data: {
      get: function (name) { return host.data(location, name); }
    },
    request: {
      invokeTemplate: function (name, options) {
        host.record("request", {name: name, location: location});
        return window.fdkInvokeTemplate(name, JSON.stringify(options || {})).then(function (result) {
          return result.status >= 200 && result.status < 300 ? result : Promise.reject(result);
        });
      }
    },
    interface: {
      trigger: function (action, payload) {
        host.record("interface", {action: action, payload: payload, location: location});
        return Promise.resolve({message: "success"});
      }
    },
    instance: {
      context: function () { return Promise.resolve({instanceId: instanceId, location: location}); },
      get: function () { return Promise.resolve(host.instances()); },
      send: function (options) { host.send(instanceId, options); return Promise.resolve({message: options.message}); },
      receive: function (callback) {
        host.listen(instanceId, "instance.message", function (data) { callback(event("instance.message", data)); });
      }
    }
  };

  window.app = {
    initialized: function () {
      // Freshworks fires app.activated once the location is up; after the app's handlers are set.
      setTimeout(function () { host.emit(instanceId, "app.activated", {}); }, 0);
      return Promise.resolve(client);
    }
  };
})();
