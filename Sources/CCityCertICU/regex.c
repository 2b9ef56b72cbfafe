#include "cc_icu_regex.h"

#include <stdlib.h>
#include <time.h>
#include <unicode/uregex.h>

struct cc_icu_regex {
    URegularExpression *compiled;
};

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

cc_icu_regex *cc_icu_regex_open(const uint16_t *pattern, int32_t length, int32_t *error_offset) {
    UErrorCode status = U_ZERO_ERROR;
    UParseError parse = {0};
    parse.offset = -1;
    // ICU refuses an empty pattern; the empty pattern matches everywhere, as (?:) does.
    static const UChar empty[] = {'(', '?', ':', ')'};
    if (length == 0) {
        pattern = (const uint16_t *)empty;
        length = 4;
    }
    URegularExpression *re = uregex_open((const UChar *)pattern, length, 0, &parse, &status);
    if (U_FAILURE(status) || re == NULL) {
        if (error_offset) *error_offset = parse.offset;
        if (re) uregex_close(re);
        return NULL;
    }
    cc_icu_regex *out = malloc(sizeof *out);
    if (!out) {
        uregex_close(re);
        return NULL;
    }
    out->compiled = re;
    return out;
}

void cc_icu_regex_close(cc_icu_regex *regex) {
    if (!regex) return;
    uregex_close(regex->compiled);
    free(regex);
}

int32_t cc_icu_regex_groups(const cc_icu_regex *regex) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t n = uregex_groupCount(regex->compiled, &status);
    return U_FAILURE(status) ? 0 : n;
}

// ICU calls this every few thousand steps; returning false stops the match (U_REGEX_STOPPED_BY_CALLER).
static UBool U_CALLCONV still_in_time(const void *context, int32_t steps) {
    (void)steps;
    const double *deadline = context;
    return now_seconds() < *deadline;
}

int cc_icu_regex_find(
    const cc_icu_regex *regex, const uint16_t *text, int32_t length, double seconds, int32_t *ranges, int32_t capacity) {
    UErrorCode status = U_ZERO_ERROR;
    URegularExpression *re = uregex_clone(regex->compiled, &status);
    if (U_FAILURE(status) || re == NULL) return CC_ICU_GAVE_UP;
    double deadline = now_seconds() + seconds;
    uregex_setMatchCallback(re, still_in_time, &deadline, &status);
    // 64 MiB of backtracking state (ICU's default is 8 MiB); past it ICU stops with an error we report.
    uregex_setStackLimit(re, 64 << 20, &status);
    uregex_setText(re, (const UChar *)text, length, &status);
    if (U_FAILURE(status)) {
        uregex_close(re);
        return CC_ICU_GAVE_UP;
    }
    UBool found = uregex_find(re, 0, &status);
    int result;
    if (U_FAILURE(status)) {
        result = CC_ICU_GAVE_UP;
    } else if (!found) {
        result = CC_ICU_NOT_MATCHED;
    } else {
        result = CC_ICU_MATCHED;
        int32_t groups = uregex_groupCount(re, &status);
        for (int32_t g = 0; g < capacity; g++) {
            UErrorCode s = U_ZERO_ERROR;
            int32_t start = g <= groups ? uregex_start(re, g, &s) : -1;
            int32_t end = g <= groups ? uregex_end(re, g, &s) : -1;
            if (U_FAILURE(s)) start = end = -1;
            ranges[2 * g] = start;
            ranges[2 * g + 1] = end;
        }
    }
    uregex_close(re);
    return result;
}
