/* The door entry's service worker (served by communities.door_views.door_service_worker,
 * which puts SHELL and VERSION above this code). Its scope is /communities/door/.
 *
 * - Pages of the app (navigations): from the network when there is signal, the kept copy
 *   otherwise, so the app opens in a stairwell.
 * - The shell's scripts, styles and icon: the kept copy, refreshed in the background.
 * - Everything else (the data, sending the queue) goes to the network untouched: the page
 *   keeps the data and the queue in IndexedDB itself.
 */
/* global SHELL, VERSION */
"use strict";
var CACHE = "pinghu-door-" + VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return Promise.all(SHELL.map(function (url) {
        return fetch(url, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(url, response);
          return null;
        }).catch(function () { return null; });
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("pinghu-door-") === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isShellAsset(url) {
  return SHELL.indexOf(url.pathname) >= 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).then(function (response) {
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      }).catch(function () {
        return caches.open(CACHE).then(function (cache) {
          return cache.match(request)
            .then(function (hit) { return hit || cache.match(request, { ignoreSearch: true }); })
            .then(function (hit) { return hit || cache.match(SHELL[0]); })
            .then(function (hit) { return hit || Response.error(); });
        });
      })
    );
    return;
  }
  if (isShellAsset(url)) {
    event.respondWith(
      caches.open(CACHE).then(function (cache) {
        return cache.match(request, { ignoreSearch: true }).then(function (hit) {
          var network = fetch(request).then(function (response) {
            if (response.ok) cache.put(request, response.clone());
            return response;
          });
          if (hit) {
            network.catch(function () { return null; });
            return hit;
          }
          return network;
        });
      })
    );
  }
});
