// The kiosk's type size, chosen from the tablet's screen before the terminal opens.
//
// textual-serve draws the kiosk at one font size for every screen (16 pixels): on a 10"
// tablet that is small monospace text with empty space around it. Instead the size is
// the largest that still gives the kiosk the room it is laid out for (64 columns and 25
// rows, the same layout at a terminal of 80x24), between 12 pixels (a phone) and 24 (a
// cell of about 32 pixels): about 22 on a landscape tablet of 1280x800, 20 in portrait.
// Roboto Mono's cell is 0.6 of the font size wide and 1.32 high. "?fontsize=N" in the
// page's address still sets it by hand (the server puts it on the terminal).
(function () {
  "use strict";

  const COLUMNS = 64;
  const ROWS = 25;
  const CELL_WIDTH = 0.6;
  const CELL_HEIGHT = 1.32;
  const SMALLEST = 12;
  const LARGEST = 24;

  function fontSize(width, height) {
    const fits = Math.floor(Math.min(width / (COLUMNS * CELL_WIDTH), height / (ROWS * CELL_HEIGHT)));
    return Math.max(SMALLEST, Math.min(LARGEST, fits));
  }

  // Before textual.js opens the terminal (on the window's load event).
  document.addEventListener("DOMContentLoaded", function () {
    const terminal = document.getElementById("terminal");
    if (terminal && !terminal.dataset.fontSize) {
      terminal.dataset.fontSize = String(fontSize(terminal.clientWidth, terminal.clientHeight));
    }
  });

  // The terminal measures its cell once, when it opens: opened before the bundled font
  // had loaded (a tablet's first visit), it took the fallback font's shorter lines for
  // good. textual.js opens it from window.onload; that handler is kept here and called
  // once the font is ready (or after two seconds without it).
  let opener = null;
  Object.defineProperty(window, "onload", {
    configurable: true,
    get: function () {
      return opener;
    },
    set: function (handler) {
      opener = handler;
    },
  });
  window.addEventListener("load", function (event) {
    const terminal = document.getElementById("terminal");
    const size = (terminal && terminal.dataset.fontSize) || "16";
    const font = document.fonts.load(size + 'px "Roboto Mono"');
    const late = new Promise(function (resolve) {
      setTimeout(resolve, 2000);
    });
    Promise.race([font, late])
      .catch(function () {})
      .then(function () {
        if (typeof opener === "function") {
          opener(event);
        }
      });
  });
})();
