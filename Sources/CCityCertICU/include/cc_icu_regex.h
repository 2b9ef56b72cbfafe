// ICU's regular expressions through its C API, for the patterns citycert's linear automaton does not
// cover (lookaround, back references). Foundation's NSRegularExpression hides why ICU stopped: a match
// that overflowed ICU's backtracking stack came back as "no match" (a false verdict). Here every
// stop is reported: matched, not matched, or gave up (time, stack, or another ICU error).
#ifndef CC_ICU_REGEX_H
#define CC_ICU_REGEX_H
#include <stdint.h>

typedef struct cc_icu_regex cc_icu_regex;

// Compiles a pattern (UTF-16). NULL on a syntax error (`error_offset` is then the UTF-16 offset, or -1).
cc_icu_regex *cc_icu_regex_open(const uint16_t *pattern, int32_t length, int32_t *error_offset);
void cc_icu_regex_close(cc_icu_regex *regex);
// The number of capture groups.
int32_t cc_icu_regex_groups(const cc_icu_regex *regex);

enum { CC_ICU_MATCHED = 1, CC_ICU_NOT_MATCHED = 0, CC_ICU_GAVE_UP = -1 };

// Looks for the first match in `text` (UTF-16), giving up after `seconds` of wall time or when ICU's
// backtracking stack is full. On a match, `ranges` (2 × `capacity` entries) gets the UTF-16 start and
// end of group 0, 1, … (-1, -1 for a group that did not take part). Safe to call from several threads
// on one compiled regex (each call works on its own clone).
int cc_icu_regex_find(
    const cc_icu_regex *regex, const uint16_t *text, int32_t length, double seconds, int32_t *ranges, int32_t capacity);

#endif
