// A lobby tablet has no mouse wheel: a finger's swipe over the kiosk scrolls what it
// started on (a long NDA, the privacy notice), as a wheel would.
//
// xterm.js leaves touches alone once the kiosk asks for mouse events (Textual always
// does), so a swipe did nothing. Each two lines' worth of vertical movement becomes one
// wheel step (Textual scrolls two lines per step), sent where the finger first touched,
// so the text follows the finger; a tap stays a tap (a click).
(function () {
  "use strict";

  // Pixels of movement per wheel step: two lines of the kiosk's text (fit.js chose its
  // size; a line is 1.32 times the font size).
  function step() {
    const size = Number(document.getElementById("terminal").dataset.fontSize) || 16;
    return 2 * 1.32 * size;
  }

  let start = null; // where the finger first touched: {x, y}
  let lastY = 0;
  let pending = 0; // movement not yet turned into steps; positive: the finger went up

  function wheel(down) {
    const target = document.elementFromPoint(start.x, start.y);
    if (!target) {
      return;
    }
    target.dispatchEvent(
      new WheelEvent("wheel", {
        deltaY: down ? 1 : -1,
        deltaMode: WheelEvent.DOM_DELTA_LINE,
        clientX: start.x,
        clientY: start.y,
        bubbles: true,
        cancelable: true,
      }),
    );
  }

  function onStart(event) {
    if (event.touches.length !== 1) {
      start = null; // two fingers: a pinch, not ours
      return;
    }
    const touch = event.touches[0];
    start = { x: touch.clientX, y: touch.clientY };
    lastY = touch.clientY;
    pending = 0;
  }

  function onMove(event) {
    if (start === null || event.touches.length !== 1) {
      return;
    }
    event.preventDefault(); // the page itself does not move, and a swipe is no click
    const y = event.touches[0].clientY;
    pending += lastY - y;
    lastY = y;
    const STEP = step();
    while (Math.abs(pending) >= STEP) {
      const down = pending > 0; // finger up: the text moves up, as on any touch screen
      pending -= down ? STEP : -STEP;
      wheel(down);
    }
  }

  function onEnd() {
    start = null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const terminal = document.getElementById("terminal");
    if (!terminal) {
      return;
    }
    terminal.addEventListener("touchstart", onStart, { passive: true });
    terminal.addEventListener("touchmove", onMove, { passive: false });
    terminal.addEventListener("touchend", onEnd, { passive: true });
    terminal.addEventListener("touchcancel", onEnd, { passive: true });
  });
})();
