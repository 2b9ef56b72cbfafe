#ifndef CCITYCERT_CURL_SHIM_H
#define CCITYCERT_CURL_SHIM_H
#include <curl/curl.h>

/* Typed wrappers: variadic curl_easy_setopt / curl_easy_getinfo do not import into Swift. */
typedef size_t (*citycert_curl_data_cb)(char *ptr, size_t size, size_t nmemb, void *userdata);

static inline CURLcode citycert_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode citycert_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode citycert_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode citycert_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode citycert_setopt_offset(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode citycert_setopt_callback(CURL *h, CURLoption o, citycert_curl_data_cb v) { return curl_easy_setopt(h, o, v); }
typedef int (*citycert_curl_xferinfo_cb)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
static inline CURLcode citycert_setopt_xferinfo(CURL *h, citycert_curl_xferinfo_cb v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }
static inline CURLcode citycert_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode citycert_getinfo_offset(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode citycert_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }

#endif
