// The roll-call page: logs in, then reads the roll call every second (other marshals'
// marks included) and marks people safe. Says so when the kiosk cannot be reached.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const HEADERS = { "Content-Type": "application/json", "X-Kiosk": "rollcall" };
  let rollcall = null;
  let timer = null;

  function show(id, visible) { $(id).hidden = !visible; }

  async function post(path, body) {
    return fetch(path, { method: "POST", headers: HEADERS, body: JSON.stringify(body || {}),
                         credentials: "same-origin" });
  }

  function render(state) {
    rollcall = state.rollcall;
    show("login", false);
    show("none", !rollcall);
    $("counts").textContent = rollcall ? state.counts + " (started " + state.started + ")" : "";
    const list = $("people");
    list.replaceChildren();
    if (!rollcall) return;
    for (const p of state.people) {
      const li = document.createElement("li");
      li.className = p.safe ? "safe" : "missing";
      li.dataset.id = p.id;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = p.name;
      if (p.company) {
        const small = document.createElement("small");
        small.textContent = p.company;
        who.append(small);
      }
      const stateCell = document.createElement("span");
      stateCell.className = "state";
      stateCell.textContent = p.safe ? "safe " + p.at + " (" + p.by + ")" : "MISSING";
      li.append(who, stateCell);
      if (!p.safe) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Safe";
        button.addEventListener("click", () => mark(p.id, button));
        li.append(button);
      }
      list.append(li);
    }
  }

  async function refresh() {
    let response;
    try {
      response = await fetch("/rollcall/api/state", { credentials: "same-origin",
                                                      cache: "no-store" });
    } catch (e) {
      show("offline", true);
      return;
    }
    show("offline", !response.ok && response.status !== 401 && response.status !== 403);
    if (response.status === 401) {
      show("login", true);
      show("none", false);
      $("people").replaceChildren();
      return;
    }
    if (response.ok) render(await response.json());
  }

  async function mark(id, button) {
    button.disabled = true;
    try {
      await post("/rollcall/api/mark", { rollcall: rollcall, id: id });
    } catch (e) {
      show("offline", true);
      button.disabled = false;
      return;
    }
    refresh();
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    let response;
    try {
      response = await post("/rollcall/api/login", { user: $("user").value, pin: $("pin").value });
    } catch (e) {
      show("offline", true);
      return;
    }
    $("pin").value = "";
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      $("login-error").textContent = body.error || "Could not log in.";
      return;
    }
    refresh();
  });

  $("start").addEventListener("click", async () => {
    try {
      await post("/rollcall/api/start");
    } catch (e) {
      show("offline", true);
      return;
    }
    refresh();
  });

  refresh();
  timer = setInterval(refresh, 1000);
  window.addEventListener("pagehide", () => clearInterval(timer));
})();
