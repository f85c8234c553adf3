/*
 * src/trace/render/html/assets.h — the lesson page's files, compiled into the binary: page.html
 * (the template), page.css, steps.js and page.js, as bytes with their length (a 0 follows the last
 * byte). The build generates their definitions from the files beside this header with
 * embed.cmake; src/trace/render/render_html.c puts them together with a trace.
 */
#ifndef SH_TRACE_HTML_ASSETS_H
#define SH_TRACE_HTML_ASSETS_H

#include <stddef.h>

extern const unsigned char shi_html_page_html[];
extern const size_t shi_html_page_html_len;
extern const unsigned char shi_html_page_css[];
extern const size_t shi_html_page_css_len;
extern const unsigned char shi_html_steps_js[];
extern const size_t shi_html_steps_js_len;
extern const unsigned char shi_html_page_js[];
extern const size_t shi_html_page_js_len;

#endif
