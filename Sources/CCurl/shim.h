// libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call; these typed wrappers are the only way vidmake sets an option or reads an info field.
#include <curl/curl.h>

typedef size_t (*vm_data_callback)(char *buffer, size_t size, size_t count, void *context);
typedef int (*vm_progress_callback)(void *context, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode vm_setopt_long(CURL *h, CURLoption option, long value) { return curl_easy_setopt(h, option, value); }
static inline CURLcode vm_setopt_offset(CURL *h, CURLoption option, curl_off_t value) { return curl_easy_setopt(h, option, value); }
static inline CURLcode vm_setopt_string(CURL *h, CURLoption option, const char *value) { return curl_easy_setopt(h, option, value); }
static inline CURLcode vm_setopt_pointer(CURL *h, CURLoption option, void *value) { return curl_easy_setopt(h, option, value); }
static inline CURLcode vm_setopt_list(CURL *h, CURLoption option, struct curl_slist *value) { return curl_easy_setopt(h, option, value); }
static inline CURLcode vm_setopt_mime(CURL *h, curl_mime *value) { return curl_easy_setopt(h, CURLOPT_MIMEPOST, value); }
static inline CURLcode vm_setopt_data_callback(CURL *h, CURLoption option, vm_data_callback f) { return curl_easy_setopt(h, option, f); }
static inline CURLcode vm_setopt_progress_callback(CURL *h, vm_progress_callback f) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }

static inline CURLcode vm_getinfo_long(CURL *h, CURLINFO info, long *value) { return curl_easy_getinfo(h, info, value); }
static inline CURLcode vm_getinfo_string(CURL *h, CURLINFO info, char **value) { return curl_easy_getinfo(h, info, value); }
static inline CURLcode vm_getinfo_pointer(CURL *h, CURLINFO info, void **value) { return curl_easy_getinfo(h, info, value); }

static inline CURLMcode vm_multi_setopt_long(CURLM *m, CURLMoption option, long value) { return curl_multi_setopt(m, option, value); }
