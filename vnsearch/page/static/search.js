// Search as you type: fetch the server-rendered results block and keep the URL in step.
// Without this script the page is a plain form and works the same, one search at a time.
(function () {
  "use strict";
  var form = document.getElementById("search");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.URLSearchParams) return;
  var timer = null;
  var controller = null;

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value && !(key === "sort" && value === "relevance")) params.append(key, value);
    });
    return params.toString();
  }

  function update() {
    var query = queryString();
    history.replaceState(null, "", query ? "/?" + query : "/");
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    results.classList.add("loading");
    fetch("/?" + (query ? query + "&" : "") + "fragment=1",
          {signal: controller ? controller.signal : undefined,
           headers: {"Accept": "text/html"}})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        results.innerHTML = html;  // escaped by the server's template
        results.classList.remove("loading");
        var q = form.elements.q.value.trim();
        document.title = (q ? q + " – " : "") + "Tìm kiếm tin bài";
      })
      .catch(function (error) {
        if (error.name !== "AbortError") results.classList.remove("loading");
      });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 200);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name !== "q") { clearTimeout(timer); update(); }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    update();
  });
})();
