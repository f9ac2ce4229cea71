/* The upload form of /analyze: drag and drop onto the file field, and upload progress.
   Without this script the form is a plain multipart POST; with it the same request goes
   through XMLHttpRequest so its upload progress can be shown. The answer replaces the page:
   the analysis page it was redirected to (303), or the form with its message. */
(function () {
  "use strict";
  var form = document.getElementById("analyze-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = document.getElementById("file");
  var drop = form.querySelector(".cm-drop");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");

  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (event) {
      event.preventDefault();
      drop.classList.add("cm-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function () { drop.classList.remove("cm-dragover"); });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      status.textContent = "Chosen: " + event.dataTransfer.files[0].name;
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    bar.hidden = false;
    bar.value = 0;
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round(100 * e.loaded / e.total);
        status.textContent = "Uploading: " + bar.value + " %";
      }
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      status.textContent = "Uploaded; reading and measuring the points…";
    });
    request.addEventListener("load", function () {
      if (request.status < 400 && request.responseURL && request.responseURL !== form.action) {
        window.location.assign(request.responseURL);
        return;
      }
      /* the form again (a preview, or a refused file): the server's page, drawn anew */
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      bar.hidden = true;
      status.textContent = "The upload failed (connection lost or file too large).";
    });
    request.send(data);
  });
}());
