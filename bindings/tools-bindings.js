// Appended to the tooling module's glue after utf8-boundary.js (--post-js, CMakeLists.txt).
// Module.renderMarkdownHtml(markdown): the rendered HTML, through the UTF-8 boundary.
Module["renderMarkdownHtml"] = function (markdown) {
  return Module["utf8Call"](Module["_lattice_render_markdown_html"], markdown);
};
