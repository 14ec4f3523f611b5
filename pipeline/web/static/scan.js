// Scan a notice's QR code with the phone's camera where the browser can (BarcodeDetector);
// elsewhere the code is typed. No other script runs on these pages.
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  var box = document.getElementById("scanner");
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var input = document.getElementById("code");
  if (!box || !button || !video || !input) return;
  box.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var tick = function () {
        detector.detect(video).then(function (codes) {
          var found = codes.map(function (c) { return c.rawValue; })
            .filter(function (v) { return /^XWQL:|\/n\/[0-9A-Z]{4}-?[0-9A-Z]{4}/i.test(v); })[0];
          if (found) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            input.value = found;
            input.form.submit();
          } else {
            window.requestAnimationFrame(tick);
          }
        }).catch(function () { window.requestAnimationFrame(tick); });
      };
      tick();
    }).catch(function () { button.textContent = "无法使用摄像头，请手动输入核验码"; button.disabled = true; });
  });
})();
