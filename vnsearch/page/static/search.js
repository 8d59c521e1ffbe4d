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

  function update(typing) {
    var query = queryString();
    history.replaceState(null, "", query ? "/?" + query : "/");
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    results.classList.add("loading");
    // While a word is being typed, its end is matched as the start of a word.
    fetch("/?" + (query ? query + "&" : "") + "fragment=1" + (typing ? "&prefix=1" : ""),
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

  // Completions from /suggest, offered in the search box's list (as text, never HTML).
  var box = form.elements.q;
  var list = document.createElement("datalist");
  list.id = "suggestions";
  form.appendChild(list);
  box.setAttribute("list", list.id);
  var suggesting = null;

  function suggest() {
    var text = box.value;
    if (suggesting) suggesting.abort();
    if (!text.trim() || !window.AbortController) { list.replaceChildren(); return; }
    suggesting = new AbortController();
    fetch("/suggest?limit=6&q=" + encodeURIComponent(text), {signal: suggesting.signal})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        list.replaceChildren.apply(list, (body.suggestions || []).map(function (item) {
          var option = document.createElement("option");
          option.value = typeof item === "string" ? item : (item.text || item.query || "");
          return option;
        }));
      })
      .catch(function () {});
  }

  form.addEventListener("input", function (event) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      update(event.target === box);
      if (event.target === box) suggest();
    }, 200);
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
