// The lobby tablet's camera reads the QR code on a visitor's badge.
//
// The kiosk (a Textual app behind textual-serve) asks for the camera by "opening" a
// kiosk-camera: URL, which textual-serve's page hands to window.open; the texts to show,
// in the visitor's language, and how long to wait ride along in the URL. A code read is
// typed into the kiosk as a USB scanner would type it: the code, then Enter. Nothing
// else opens a window from the kiosk page, and no frame leaves the tablet.
(function () {
  "use strict";

  // The page's connection to the kiosk: textual.js creates it; remember the newest.
  const NativeWebSocket = window.WebSocket;
  let kioskSocket = null;
  window.WebSocket = function (url, protocols) {
    const socket =
      protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
    kioskSocket = socket;
    return socket;
  };
  window.WebSocket.prototype = NativeWebSocket.prototype;
  Object.assign(window.WebSocket, {
    CONNECTING: 0,
    OPEN: 1,
    CLOSING: 2,
    CLOSED: 3,
  });

  window.open = function (url) {
    if (typeof url === "string" && url.startsWith("kiosk-camera:")) {
      scan(new URL(url));
    }
    return null; // a kiosk opens no windows or tabs
  };

  let stream = null;
  let timer = null;

  function overlay() {
    let box = document.getElementById("camera");
    if (box) {
      return box;
    }
    box = document.createElement("div");
    box.id = "camera";
    box.innerHTML =
      '<video id="camera-video" playsinline muted></video>' +
      '<p id="camera-hint"></p><button type="button" id="camera-cancel"></button>';
    document.body.appendChild(box);
    document.getElementById("camera-cancel").addEventListener("click", close);
    return box;
  }

  function close() {
    clearTimeout(timer);
    if (stream) {
      stream.getTracks().forEach((track) => track.stop());
      stream = null;
    }
    const box = document.getElementById("camera");
    if (box) {
      box.classList.remove("-open");
    }
  }

  function type(code) {
    if (kioskSocket && kioskSocket.readyState === NativeWebSocket.OPEN) {
      kioskSocket.send(JSON.stringify(["stdin", code + "\r"]));
    }
  }

  async function scan(request) {
    const texts = request.searchParams;
    const box = overlay();
    const hint = document.getElementById("camera-hint");
    document.getElementById("camera-cancel").textContent = texts.get("cancel") || "Cancel";
    hint.textContent = texts.get("hint") || "";
    box.classList.add("-open");
    const seconds = Number(texts.get("seconds")) || 60;
    timer = setTimeout(close, seconds * 1000); // the kiosk goes home when idle too
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false,
      });
    } catch (error) {
      hint.textContent = texts.get("unavailable") || "";
      clearTimeout(timer);
      timer = setTimeout(close, 5000);
      return;
    }
    const video = document.getElementById("camera-video");
    video.srcObject = stream;
    await video.play();
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const look = () => {
      if (!stream) {
        return; // closed: cancelled or timed out
      }
      if (video.videoWidth) {
        canvas.width = video.videoWidth;
        canvas.height = video.videoHeight;
        context.drawImage(video, 0, 0);
        const frame = context.getImageData(0, 0, canvas.width, canvas.height);
        const found = jsQR(frame.data, frame.width, frame.height, {
          inversionAttempts: "dontInvert",
        });
        // Only what a badge can hold is typed: a QR code of anything else (keys,
        // escape sequences) is ignored, and the camera goes on looking.
        if (found && /^[0-9A-Za-z-]{12,20}$/.test(found.data)) {
          close();
          type(found.data);
          return;
        }
      }
      setTimeout(look, 150);
    };
    look();
  }
})();
