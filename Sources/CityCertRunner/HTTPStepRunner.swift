import CityCertCore
import CityCertJSON
import CityCertJSONPath
import CityCertJSONSchema
import CityCertProfile
import CityCertRegex
import Foundation
import Synchronization

/// Runs the steps of one HTTP check: builds requests, sends them, judges expectations, captures variables.
struct HTTPStepRunner {
    let profile: Profile
    let transport: any HTTPTransport
    let variables: Variables
    let options: RunOptions

    static let excerptLimit = 2048
    /// Headers whose values are credentials: shown as `***` wherever a header is reported, and their values
    /// (as sent) redacted from every other output of the run, in every encoding.
    static let sensitiveHeaders = ProfileLoader.credentialHeaders

    /// Learns the credential values of a request's headers as secrets: the whole value and, after an auth
    /// scheme (`Bearer abc`), the credential alone; for cookies, each cookie's value.
    static func learnSecrets(from headers: [(name: String, value: String)], into variables: Variables) {
        for h in headers where sensitiveHeaders.contains(h.name.lowercased()) {
            variables.addSecret(h.value)
            if let space = h.value.firstIndex(of: " ") {
                variables.addSecret(String(h.value[h.value.index(after: space)...]).trimmingCharacters(in: .whitespaces))
            }
            if ["cookie", "set-cookie"].contains(h.name.lowercased()) {
                for part in h.value.split(separator: ";") {
                    if let eq = part.firstIndex(of: "=") { variables.addSecret(String(part[part.index(after: eq)...])) }
                }
            }
        }
    }

    func run(_ check: HTTPCheck) async -> CheckResult {
        var evidence: [Evidence] = []
        for step in check.steps {
            if let signal = options.interruption?.signalName {
                return CheckResult(
                    name: check.name, outcome: .skipped, message: "\(step.name): not sent, the run was interrupted (\(signal))",
                    evidence: evidence)
            }
            if step.follow != nil {
                let (pages, outcome, note) = await runPages(step)
                evidence += pages.map { .exchange($0) }
                if let note { evidence.append(.note(note)) }
                if outcome != .passed, let last = pages.last {
                    let message = "\(last.step): " + last.problems.joined(separator: "; ")
                    return CheckResult(name: check.name, outcome: outcome, message: message, evidence: evidence)
                }
                continue
            }
            let (exchange, outcome) = await run(step)
            evidence.append(.exchange(exchange))
            if outcome != .passed {
                let message = "\(step.name): " + exchange.problems.joined(separator: "; ")
                return CheckResult(name: check.name, outcome: outcome, message: message, evidence: evidence)
            }
        }
        return CheckResult(name: check.name, outcome: .passed, message: nil, evidence: evidence)
    }

    /// `page`: the URL of a later page (a next link, absolute): sent as it is, without the step's query.
    func request(for step: HTTPStep, page: String? = nil) throws(TransportError) -> HTTPRequest {
        var url = page ?? variables.render(step.url)
        // A control character (NUL above all, which C would take for the end) never reaches libcurl.
        if url.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw TransportError(.invalidRequest, "the URL holds a control character (from a variable?): not sent")
        }
        if !step.query.isEmpty && page == nil {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "&=+?#")
            let q = step.query.map { name, value in
                (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + "="
                    + (variables.render(value).addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
            }.joined(separator: "&")
            url += (url.contains("?") ? "&" : "?") + q
        }
        var headers: [(name: String, value: String)] = []
        /// A header value may hold no control character but a tab (RFC 9110 §5.5): a CR or LF from a
        /// captured value would end the header and let the target inject headers or a second request.
        func header(_ name: String, _ template: Template) throws(TransportError) -> (name: String, value: String) {
            let value = variables.render(template)
            if value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) {
                let from = template.variables.isEmpty ? "" : " (from {{" + template.variables.joined(separator: "}}, {{") + "}})"
                throw TransportError(
                    .invalidRequest,
                    "header \(name)\(from) holds a control character (CR, LF, NUL, …): not sent, since it would split the request"
                )
            }
            return (name, value)
        }
        let stepNames = Set(step.headers.map { $0.name.lowercased() })
        for h in profile.defaults.headers where !stepNames.contains(h.name.lowercased()) {
            headers.append(try header(h.name, h.value))
        }
        for h in step.headers { headers.append(try header(h.name, h.value)) }
        var body: [UInt8]? = nil
        func setContentType(_ type: String?) {
            guard let type, !headers.contains(where: { $0.name.lowercased() == "content-type" }) else { return }
            headers.append(("Content-Type", type))
        }
        switch step.body {
        case .json(let v):
            body = JSONSerializer.bytes(variables.render(v))
            setContentType("application/json")
        case .text(let t, let type):
            body = Array(variables.render(t).utf8)
            setContentType(type ?? "text/plain")
        case .file(let path, let type):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TransportError(.invalidRequest, "cannot read body file \(path)")
            }
            body = Array(data)
            setContentType(type)
        case nil: break
        }
        try checkCredentialOrigin(url: url, template: step.url, headers: headers, body: body)
        let cap = options.timeoutCap ?? .infinity
        return HTTPRequest(
            method: step.method, url: url, headers: headers, body: body,
            connectTimeout: min(cap, step.connectTimeout ?? options.connectTimeout ?? profile.defaults.connectTimeout),
            totalTimeout: min(cap, step.totalTimeout ?? options.totalTimeout ?? profile.defaults.totalTimeout),
            redirects: step.redirects,
            // A header whose value holds a secret never follows a redirect to another origin, named or not.
            keepAcrossOrigins: step.redirectHeaders.filter { name in
                !headers.contains { $0.name.lowercased() == name && variables.redact($0.value) != $0.value }
            })
    }

    /// The origins the run was pointed at: those of the inputs that are http(s) URLs (given or defaulted),
    /// and those of the step URLs the profile writes with inputs and built-ins only (`{{base_url}}/x`,
    /// `https://auth.example/realms/{{realm}}/token`, `https://{{host}}/x`); a URL that holds a captured
    /// variable declares nothing.
    var declaredOrigins: Set<String> {
        variables.declaredOrigins { computeDeclaredOrigins() }
    }

    private func computeDeclaredOrigins() -> Set<String> {
        let inputNames = Set(profile.inputs.map(\.name))
        var out = Set(profile.inputs.compactMap { variables.value($0.name).flatMap(Self.origin(of:)) })
        var steps = profile.cleanup
        for r in profile.requirements {
            for case .http(let h) in r.checks { steps += h.steps }
        }
        for s in steps where s.url.variables.allSatisfy({ inputNames.contains($0) || Template.builtins.contains($0) }) {
            if let o = Self.origin(of: variables.render(s.url)) { out.insert(o) }
        }
        return out
    }

    static func origin(of url: String) -> String? {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = u.host?.lowercased()
        else { return nil }
        return "\(scheme)://\(host):\(u.port ?? (scheme == "https" ? 443 : 80))"
    }

    /// A URL built from variables (a link captured from a response, say) may lead to an origin no input
    /// names: a request that carries credentials (a credential header, or a secret in a header or the
    /// body) is not sent there. A URL written literally in the profile is the author's choice.
    func checkCredentialOrigin(url: String, template: Template, headers: [(name: String, value: String)], body: [UInt8]?)
        throws(TransportError)
    {
        guard !template.variables.isEmpty else { return }
        var carried: [String] = []
        for h in headers where Self.sensitiveHeaders.contains(h.name.lowercased()) || variables.redact(h.value) != h.value {
            carried.append(h.name)
        }
        if let body, let text = String(validating: body, as: UTF8.self), variables.redact(text) != text {
            carried.append("the body")
        }
        if variables.redact(url) != url { carried.append("the URL itself") }
        guard !carried.isEmpty else { return }
        guard let origin = Self.origin(of: url) else {
            throw TransportError(
                .invalidRequest,
                "the URL (from {{\(template.variables.joined(separator: "}}, {{"))}}) has no http(s) origin; "
                    + "the request carries credentials (\(carried.joined(separator: ", "))), which are not sent")
        }
        let declared = declaredOrigins
        // Nothing declares an origin (every URL is built from inputs that are not URLs): nothing to compare.
        guard !declared.isEmpty, !declared.contains(origin) else { return }
        throw TransportError(
            .invalidRequest,
            "the URL (from {{\(template.variables.joined(separator: "}}, {{"))}}) leads to \(origin), an origin no input names; "
                + "the request carries credentials (\(carried.joined(separator: ", "))), which are not sent there")
    }

    func run(_ step: HTTPStep) async -> (ExchangeEvidence, Outcome) {
        if let within = step.awaitNotification { return await awaitNotification(step, within: within) }
        let started = Date()
        var attempts = 0
        while true {
            attempts += 1
            let tried = await attempt(step)
            var (exchange, outcome, captures) = (tried.exchange, tried.outcome, tried.captures)
            exchange.attempts = attempts
            if outcome == .passed {
                for (k, v) in captures { variables.set(k, v) }
                // A secret captured here (a token) is in this very response: redact what was recorded.
                if captures.contains(where: { variables.secretVariables.contains($0.0) }) { exchange = redact(exchange) }
                return (exchange, outcome)
            }
            // Poll only on failed expectations, not on transport errors; stop when the time is up.
            guard let e = step.eventually, outcome == .failed, Date().timeIntervalSince(started) + e.every < e.within,
                options.interruption?.isInterrupted != true
            else {
                if step.eventually != nil && outcome == .failed {
                    if let signal = options.interruption?.signalName, Date().timeIntervalSince(started) < step.eventually!.within
                    {
                        exchange.problems.append("polling cut short after \(attempts) attempt(s) by the interruption (\(signal))")
                        return (exchange, .skipped)
                    }
                    exchange.problems.append("still failing after \(attempts) attempt(s) within \(step.eventually!.within) s")
                }
                return (exchange, outcome)
            }
            // Slept in slices of at most half a second, so that an interruption ends the polling.
            let wake = Date().addingTimeInterval(min(max(e.every, 0.001), 3600))
            while wake.timeIntervalSinceNow > 0 && options.interruption?.isInterrupted != true {
                try? await Task.sleep(nanoseconds: UInt64(min(0.5, wake.timeIntervalSinceNow) * 1_000_000_000))
            }
            // Cut short while waiting: the time the step was given did not run out, so no verdict.
            if let signal = options.interruption?.signalName {
                exchange.problems.append("polling cut short after \(attempts) attempt(s) by the interruption (\(signal))")
                return (exchange, .skipped)
            }
        }
    }

    /// The start of a body, redacted before it is cut so that no secret is split across the cut.
    func excerpt(_ bytes: [UInt8]?) -> String? {
        guard let bytes, !bytes.isEmpty else { return nil }
        // Redact a window a little larger than the excerpt: a secret ending past the cut is still found.
        let window = variables.redact(String(decoding: bytes.prefix(Self.excerptLimit + 1024), as: UTF8.self))
        // A window of at most excerptLimit bytes has at most as many characters: nothing to cut (counting
        // characters to cut walks grapheme breaks, which cost more than the rest of a small check).
        var text = window.utf8.count <= Self.excerptLimit ? window : String(window.prefix(Self.excerptLimit))
        if bytes.count > Self.excerptLimit { text += "… (\(bytes.count) bytes)" }
        return text
    }

    /// The response headers the evidence keeps: at most 100, each value cut at 4 KiB, 64 KiB in all (10,000
    /// headers made a 100 MB report); what is left out is counted in a last entry named "…". The
    /// expectations judge every header.
    static func keptHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var kept: [(name: String, value: String)] = []
        var bytes = 0
        var omitted = 0
        var omittedBytes = 0
        for h in headers {
            let size = h.name.utf8.count + h.value.utf8.count
            if kept.count >= 100 || bytes + min(size, 4096) > 65_536 {
                omitted += 1
                omittedBytes += size
                continue
            }
            var value = h.value
            if value.utf8.count > 4096 {
                value = String(decoding: value.utf8.prefix(4096), as: UTF8.self) + "… (\(value.utf8.count) bytes)"
            }
            kept.append((h.name, value))
            bytes += min(size, 4096)
        }
        if omitted > 0 { kept.append(("…", "\(omitted) more header(s), \(omittedBytes) bytes, not kept in the report")) }
        return kept
    }

    /// The exchange with every secret known now replaced (those learned after it was recorded, too).
    func redact(_ e: ExchangeEvidence) -> ExchangeEvidence {
        var e = e
        e.url = variables.redact(e.url)
        e.requestHeaders = redactHeaders(e.requestHeaders)
        e.responseHeaders = redactHeaders(e.responseHeaders)
        e.requestBodyExcerpt = e.requestBodyExcerpt.map(variables.redact)
        e.responseBodyExcerpt = e.responseBodyExcerpt.map(variables.redact)
        e.problems = e.problems.map(variables.redact)
        return e
    }

    func redactHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        headers.map { h in (h.name, Self.sensitiveHeaders.contains(h.name.lowercased()) ? "***" : variables.redact(h.value)) }
    }

    /// Pages through a `follow` step: every page is judged by the step's expectations; a next link that
    /// goes back to a page already seen is a failure (a client following next links would page forever),
    /// one to another origin is not followed (an error), more than `maxPages` pages is an error. Captures
    /// are taken from the first page.
    func runPages(_ step: HTTPStep) async -> ([ExchangeEvidence], Outcome, String?) {
        guard let follow = step.follow else { return ([], .error, nil) }
        var pages: [ExchangeEvidence] = []
        var seen: [String: Int] = [:]
        var page: String? = nil
        var counted = 0
        var absentNote: String? = nil
        while true {
            let number = pages.count + 1
            if let signal = options.interruption?.signalName, !pages.isEmpty {
                pages[pages.count - 1].problems.append("page \(number) not requested: the run was interrupted (\(signal))")
                return (pages, .skipped, nil)
            }
            let tried = await attempt(step, page: page)
            var (exchange, outcome, captures, next) = (tried.exchange, tried.outcome, tried.captures, tried.next)
            exchange.step = number == 1 ? step.name : "\(step.name) (page \(number))"
            // A capture absent from the first page (absent: not-applicable): the pages are still judged (their
            // status, their next links), and only then is the step not applicable.
            if number == 1 && outcome == .notApplicable {
                absentNote = exchange.problems.joined(separator: "; ")
                outcome = .passed
            }
            if number == 1 && outcome == .passed {
                for (k, v) in captures { variables.set(k, v) }
            }
            // The URL as sent (the evidence's is redacted): relative next links resolve against it.
            let here = page ?? tried.sentURL ?? exchange.url
            seen[here] = number
            pages.append(exchange)
            guard outcome == .passed else { return (pages, outcome, nil) }
            counted += tried.counted ?? 0
            guard let next else {
                if let absentNote {
                    if pages.count > 1 { pages[pages.count - 1].problems.append(absentNote) }
                    return (pages, .notApplicable, nil)
                }
                if let c = follow.count {
                    if let name = c.variable { variables.set(name, .int(counted)) }
                    let summary = "\(c.path.text) selected \(counted) node(s) over \(number) page(s)"
                    if let raw = c.equals {
                        let expected = variables.renderExpected(raw)
                        guard case .number(let n) = expected, n.isInteger else {
                            pages[pages.count - 1].problems.append(
                                "follow.count: \(variables.redact(JSONSerializer.string(raw))) is \(variables.redact(JSONSerializer.string(expected))), not a whole number; no verdict"
                            )
                            return (pages, .error, nil)
                        }
                        if n.decimal != JSONNumber(counted).decimal {
                            pages[pages.count - 1].problems.append(
                                "\(summary), expected \(n.decimal.text)\(raw == expected ? "" : " (\(JSONSerializer.string(raw)))")"
                            )
                            return (pages, .failed, nil)
                        }
                    }
                    return (pages, .passed, "\(step.name): \(summary)")
                }
                return (pages, .passed, nil)
            }
            // Relative links resolve against the page that holds them.
            guard let target = Self.resolve(next, against: here) else {
                pages[pages.count - 1].problems.append("the next link '\(variables.redact(next))' is not a URL")
                return (pages, .failed, nil)
            }
            if let earlier = seen[target] {
                pages[pages.count - 1].problems.append(
                    "the next link of page \(number) goes back to page \(earlier) (\(variables.redact(target))): "
                        + "a client following next links would page forever")
                return (pages, .failed, nil)
            }
            if Self.origin(of: target) != Self.origin(of: here) {
                pages[pages.count - 1].problems.append(
                    "the next link of page \(number) leads to another origin (\(variables.redact(target))); not followed")
                return (pages, .error, nil)
            }
            if number >= follow.maxPages {
                if follow.stopAtLimit {
                    return (
                        pages, .passed,
                        "\(step.name): paging stopped after \(follow.maxPages) pages (follow.max_pages, at_limit: stop); the pages after were not judged"
                    )
                }
                pages[pages.count - 1].problems.append(
                    "more than \(follow.maxPages) pages (follow.max_pages); the rest was not judged")
                return (pages, .error, nil)
            }
            page = target
        }
    }

    /// A link (a next page, a captured href with `resolve: true`) resolved against the URL of the response
    /// that holds it; nil if either is no URL (or the value no string).
    static func resolve(_ href: String, against url: String?) -> String? {
        guard let base = url.flatMap({ URL(string: $0) }) else { return nil }
        return URL(string: href, relativeTo: base)?.absoluteURL.absoluteString
    }

    static func resolve(_ value: JSONValue, against url: String?) -> JSONValue? {
        guard case .string(let s) = value else { return nil }
        return resolve(s, against: url).map(JSONValue.string)
    }

    /// The next page's URL a response names, if any.
    static func nextLink(_ follow: Follow, _ response: HTTPResponse, json: JSONValue?) -> String? {
        switch follow.next {
        case .jsonPath(let p):
            guard let json, let first = try? p.values(json, stepLimit: 1_000_000).first, case .string(let s) = first
            else { return nil }
            return s
        case .linkRelation(let rel):
            for header in response.headers(named: "Link") {
                for link in Self.links(header) where link.relations.contains(rel) { return link.target }
            }
            return nil
        }
    }

    /// The links of an RFC 8288 `Link` header value: `<target>; rel="next prev"; title="a, b", <…>; …`. A
    /// comma inside the target or inside a quoted parameter does not end the link.
    static func links(_ value: String) -> [(target: String, relations: [String])] {
        var out: [(String, [String])] = []
        let chars = Array(value.unicodeScalars)
        var i = 0
        func skipSpace() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        while i < chars.count {
            skipSpace()
            if i < chars.count, chars[i] == "," {
                i += 1
                continue
            }
            guard i < chars.count, chars[i] == "<", let close = chars[i...].firstIndex(of: ">") else {
                // Not a link: skip to the next comma outside quotes, so the links after it are still read.
                var quoted = false
                while i < chars.count, quoted || chars[i] != "," {
                    if chars[i] == "\"" { quoted.toggle() }
                    i += 1
                }
                continue
            }
            let target = String(String.UnicodeScalarView(chars[(i + 1)..<close]))
            i = close + 1
            var relations: [String]? = nil
            var anchored = false
            // Parameters up to the comma that ends this link.
            while true {
                skipSpace()
                guard i < chars.count, chars[i] == ";" else { break }
                i += 1
                skipSpace()
                var name = ""
                while i < chars.count, chars[i] != "=", chars[i] != ";", chars[i] != ",", chars[i] != " ", chars[i] != "\t" {
                    name.unicodeScalars.append(chars[i])
                    i += 1
                }
                skipSpace()
                var paramValue = ""
                if i < chars.count, chars[i] == "=" {
                    i += 1
                    skipSpace()
                    if i < chars.count, chars[i] == "\"" {
                        i += 1
                        while i < chars.count, chars[i] != "\"" {
                            if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                            paramValue.unicodeScalars.append(chars[i])
                            i += 1
                        }
                        i += 1  // the closing quote
                    } else {
                        while i < chars.count, chars[i] != ";", chars[i] != ",", chars[i] != " ", chars[i] != "\t" {
                            paramValue.unicodeScalars.append(chars[i])
                            i += 1
                        }
                    }
                }
                // RFC 8288 §3.3: a rel after the first is ignored; a link with an anchor is about another context.
                if name.lowercased() == "rel", relations == nil {
                    relations = paramValue.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                }
                if name.lowercased() == "anchor" { anchored = true }
            }
            if !anchored { out.append((target, relations ?? [])) }
            // Anything left before the next comma is malformed: skip to it.
            while i < chars.count, chars[i] != "," { i += 1 }
        }
        return out
    }

    /// One request of a step and what it gave.
    struct Attempt {
        var exchange: ExchangeEvidence
        var outcome: Outcome
        var captures: [(String, JSONValue)] = []
        /// The URL as sent (the evidence's is redacted; `{{uuid}}` would render anew); nil if nothing was sent.
        var sentURL: String? = nil
        /// For a `follow` step: the next page's link, as the response gives it.
        var next: String? = nil
        /// For a `follow` step with `count`: the nodes counted on this page.
        var counted: Int? = nil
    }

    /// `page`: the URL of a later page of a `follow` step (absolute), sent instead of the step's URL.
    func attempt(_ step: HTTPStep, page: String? = nil) async -> Attempt {
        let request: HTTPRequest
        do {
            request = try self.request(for: step, page: page)
        } catch {
            return Attempt(
                exchange: ExchangeEvidence(
                    step: step.name, method: step.method, url: variables.redact(variables.render(step.url)), requestHeaders: [],
                    requestBodyExcerpt: nil,
                    status: nil, responseHeaders: [], responseBodyExcerpt: nil, httpVersion: nil, timings: nil, attempts: 1,
                    problems: [variables.redact(error.description)]),
                outcome: .error)
        }
        Self.learnSecrets(from: request.headers, into: variables)
        var exchange = ExchangeEvidence(
            step: step.name, method: request.method, url: variables.redact(request.url),
            requestHeaders: redactHeaders(request.headers),
            requestBodyExcerpt: excerpt(request.body), status: nil, responseHeaders: [], responseBodyExcerpt: nil,
            httpVersion: nil, timings: nil,
            attempts: 1, problems: [])
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            exchange.problems.append(variables.redact("transport \(error.description)"))
            // Cut short by a second interruption: nothing was judged, the step did not run to its end.
            return Attempt(exchange: exchange, outcome: error.kind == .interrupted ? .skipped : .error, sentURL: request.url)
        }
        exchange.status = response.status
        Self.learnSecrets(from: response.headers.filter { $0.name.lowercased() == "set-cookie" }, into: variables)
        exchange.responseHeaders = redactHeaders(Self.keptHeaders(response.headers))
        exchange.responseBodyExcerpt = excerpt(response.body)
        exchange.httpVersion = response.httpVersion
        exchange.timings = response.timings

        let judged = judge(
            step, response, capturing: page == nil, url: response.effectiveURL.isEmpty ? request.url : response.effectiveURL)
        let (problems, errors, captures) = (judged.problems, judged.errors, judged.captures)
        // A capture that found nothing and may (absent: not-applicable): what the check is about is not
        // there, unless an expectation failed or could not be judged.
        let absent = problems.isEmpty && errors.isEmpty && !judged.absent.isEmpty
        // A secret capture (a token) is a secret from now on, whether or not the step passed: this very
        // response holds it, and its excerpt is redacted with it.
        var learned = false
        for (name, value) in captures where variables.secretVariables.contains(name) {
            variables.addSecret(Variables.text(of: value))
            learned = true
        }
        if learned { exchange = redact(exchange) }
        // Every message may quote values (assertions, schema errors): redact them all here.
        exchange.problems = (errors + problems + (absent ? judged.absent : [])).map(variables.redact)
        // An expectation that could not be judged (a JSONPath past its step limit, a regex that did not
        // finish) makes the step an error, unless another expectation failed for certain (as checks combine).
        return Attempt(
            exchange: exchange,
            outcome: !problems.isEmpty ? .failed : !errors.isEmpty ? .error : absent ? .notApplicable : .passed,
            captures: captures,
            sentURL: request.url, next: judged.next, counted: judged.counted)
    }

    /// What judging one response gave.
    struct Judgement {
        /// Expectations that failed.
        var problems: [String] = []
        /// Expectations that could not be judged.
        var errors: [String] = []
        var captures: [(String, JSONValue)] = []
        /// For a `follow` step: the next page's URL as the response gives it (maybe relative).
        var next: String? = nil
        /// Captures with `absent: not-applicable` that found nothing: the check does not apply.
        var absent: [String] = []
        /// For a `follow` step with `count`: the nodes its path selects on this page (nil: not JSON).
        var counted: Int? = nil
    }

    /// The problems found (failures), the expectations that could not be judged (errors), the captures,
    /// and, for a `follow` step, the next page's link (read from the body parsed once for all of them).
    /// `capturing`: false on the later pages of a `follow` step (captures come from the first page);
    /// `url`: the URL the response answers, against which `resolve: true` captures are resolved.
    func judge(_ step: HTTPStep, _ response: HTTPResponse, capturing: Bool = true, url: String? = nil) -> Judgement {
        var problems: [String] = []
        var errors: [String] = []
        let e = step.expect
        if let s = e.status, !s.matches(response.status) {
            problems.append("status \(response.status), expected \(s)")
        }
        for h in e.headers {
            let values = response.headers(named: h.name)
            switch h.predicate {
            case .present:
                if values.isEmpty { problems.append("header \(h.name) is missing") }
            case .absent:
                if !values.isEmpty { problems.append("header \(h.name) must be absent, got '\(variables.redact(values[0]))'") }
            case .equals(let t):
                let expected = variables.render(t)
                if values.isEmpty {
                    problems.append("header \(h.name) is missing, expected '\(variables.redact(expected))'")
                } else if !values.contains(expected) {
                    problems.append(
                        "header \(h.name) is '\(variables.redact(values[0]))', expected '\(variables.redact(expected))'")
                }
            case .matches(let r):
                if values.isEmpty {
                    problems.append("header \(h.name) is missing, expected to match '\(r.source)'")
                } else {
                    // A match that does not finish gives no verdict: an error, as in body assertions.
                    let outcomes = values.map { r.firstMatch(in: $0) }
                    if outcomes.contains(.matched) {
                    } else if outcomes.contains(.timedOut) {
                        errors.append("header \(h.name): matching '\(r.source)' did not finish in time; no verdict")
                    } else {
                        problems.append("header \(h.name) '\(variables.redact(values[0]))' does not match '\(r.source)'")
                    }
                }
            case .mediaType(let type, let params):
                if let v = values.first {
                    if let problem = MediaType.mismatch(v, type: type, parameters: params) {
                        problems.append("header \(h.name): \(problem)")
                    }
                } else {
                    problems.append("header \(h.name) is missing, expected \(type)")
                }
            }
        }
        if let limit = e.durationBelow, response.timings.total >= limit {
            problems.append(String(format: "took %.0f ms, expected below %.0f ms", response.timings.total * 1000, limit * 1000))
        }
        if let empty = e.bodyEmpty {
            let blank = response.body.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
            if empty && !blank {
                // Redacted whole, then cut: a secret cut in half would no longer be found.
                let excerpt = variables.redact(String(decoding: response.body.prefix(64 << 10), as: UTF8.self)).prefix(80)
                problems.append("body must be empty, got \(response.body.count) byte(s): '\(excerpt)'")
            } else if !empty && blank {
                problems.append("body is empty, expected one")
            }
        }
        var json: JSONValue? = nil
        var followsJSONLink = false
        if case .jsonPath? = step.follow?.next { followsJSONLink = true }
        let needsJSON =
            e.bodyIsJSON || followsJSONLink || step.follow?.count != nil
            || step.captures.contains { if case .jsonPath = $0.source { return true } else { return false } }
        if needsJSON {
            do {
                json = try JSONDocument(bytes: response.body).root
            } catch {
                if e.bodyIsJSON { problems.append("body is not valid JSON: \(error.location): \(error.message)") }
            }
        }
        if let json {
            if let s = e.schema {
                for err in s.schema.validate(json).prefix(20) {
                    if err.isLimit {
                        errors.append("schema \(s.name): \(err.keywordLocation): \(err.message)")
                        continue
                    }
                    problems.append(
                        "schema \(s.name): \(err.instanceLocation.description.isEmpty ? "/" : err.instanceLocation.description): \(err.message)"
                    )
                }
            }
            for a in e.assertions {
                do {
                    for p in try AssertionEvaluator.evaluate(
                        a, on: json, variables: variables, stepLimit: options.jsonPathStepLimit)
                    { problems.append(p.message) }
                } catch {
                    errors.append("assertion \(a.text): \(error)")
                }
            }
        }
        var captures: [(String, JSONValue)] = []
        var absent: [String] = []
        for c in step.captures where capturing {
            switch c.source {
            case .jsonPath(let p):
                let selected: [JSONPathNode]
                do {
                    selected = try json.map { try p.select($0, stepLimit: options.jsonPathStepLimit) } ?? []
                } catch {
                    errors.append("capture \(c.variable): \(error)")
                    continue
                }
                if c.all {
                    guard json != nil else {
                        // An HTML error page is not an empty list: the items would vanish into not-applicable.
                        problems.append("capture \(c.variable): the body is not JSON, so \(p.text) selects nothing to collect")
                        continue
                    }
                    var values = selected.map(\.value)
                    if c.resolve {
                        let resolved = values.map { Self.resolve($0, against: url) }
                        guard !resolved.contains(nil) else {
                            problems.append("capture \(c.variable): \(p.text) selects a value that is not a URL reference")
                            continue
                        }
                        values = resolved.compactMap { $0 }
                    }
                    captures.append((c.variable, .array(values)))
                    continue
                }
                guard let first = selected.first else {
                    if c.absentNotApplicable && json == nil {
                        problems.append("capture \(c.variable): the body is not JSON, so \(p.text) selects nothing")
                    } else if c.absentNotApplicable {
                        absent.append("capture \(c.variable): \(p.text) selects nothing, so the check does not apply")
                    } else {
                        problems.append("capture \(c.variable): \(p.text) selects nothing")
                    }
                    continue
                }
                // Null is absence too where the capture may be absent (an open end of an interval).
                if c.absentNotApplicable && first.value == .null {
                    absent.append("capture \(c.variable): \(p.text) is null, so the check does not apply")
                    continue
                }
                var value = first.value
                if c.resolve {
                    guard let resolved = Self.resolve(value, against: url) else {
                        problems.append("capture \(c.variable): \(p.text) is not a URL reference to resolve")
                        continue
                    }
                    value = resolved
                }
                if let add = c.add {
                    guard case .number(let n) = value, let d = Double(n.decimal.text), d.isFinite, (d + add).isFinite else {
                        problems.append("capture \(c.variable): \(p.text) is not a number to add \(add) to")
                        continue
                    }
                    // Fixed notation (no exponent, which some servers' bbox parsers refuse), trailing zeros cut.
                    var text = String(format: "%.10f", d + add)
                    while text.hasSuffix("0") { text.removeLast() }
                    if text.hasSuffix(".") { text.removeLast() }
                    guard let moved = try? JSONValue.parse(text) else {
                        problems.append("capture \(c.variable): \(p.text) plus \(add) is not a number")
                        continue
                    }
                    value = moved
                }
                captures.append((c.variable, value))
            case .header(let name, let regex):
                guard let v = response.header(name) else {
                    if c.absentNotApplicable {
                        absent.append("capture \(c.variable): header \(name) is missing, so the check does not apply")
                    } else {
                        problems.append("capture \(c.variable): header \(name) is missing")
                    }
                    continue
                }
                if let regex {
                    switch regex.captures(in: v) {
                    case .matched(let groups):
                        captures.append((c.variable, .string((groups.count > 1 ? groups[1] : groups[0]) ?? "")))
                    case .notMatched:
                        problems.append("capture \(c.variable): header \(name) does not match '\(regex.source)'")
                    case .timedOut:
                        errors.append("capture \(c.variable): matching '\(regex.source)' did not finish in time; no verdict")
                    }
                } else {
                    captures.append((c.variable, .string(v)))
                }
            case .bodyRegex(let regex):
                let text = String(decoding: response.body, as: UTF8.self)
                switch regex.captures(in: text) {
                case .matched(let groups):
                    captures.append((c.variable, .string((groups.count > 1 ? groups[1] : groups[0]) ?? "")))
                case .notMatched:
                    problems.append("capture \(c.variable): body does not match '\(regex.source)'")
                case .timedOut:
                    errors.append("capture \(c.variable): matching '\(regex.source)' did not finish in time; no verdict")
                }
            }
        }
        let next = step.follow.flatMap { Self.nextLink($0, response, json: json) }
        var counted: Int? = nil
        if let c = step.follow?.count {
            if let json {
                do { counted = try c.path.select(json, stepLimit: options.jsonPathStepLimit).count } catch {
                    errors.append("follow.count \(c.path.text): \(error)")
                }
            } else {
                problems.append("follow.count: the body is not JSON, so \(c.path.text) counts nothing")
            }
        }
        return Judgement(
            problems: problems, errors: errors, captures: captures, next: next, absent: absent, counted: counted)
    }
}

/// Media type comparison (RFC 9110 8.3.1): type/subtype case-insensitive, parameter names
/// case-insensitive, listed parameters must be present with equal values.
enum MediaType {
    static func mismatch(_ value: String, type: String, parameters: [(String, String)]) -> String? {
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let actual = parts.first?.lowercased() else { return "empty media type" }
        if actual != type { return "media type \(actual), expected \(type)" }
        var actualParams: [String: String] = [:]
        for p in parts.dropFirst() {
            let kv = p.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            if kv.count == 2 { actualParams[kv[0].lowercased()] = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        for (k, v) in parameters {
            guard let a = actualParams[k] else { return "media type parameter \(k)=\(v) is missing in '\(value)'" }
            let equal = k == "charset" ? a.lowercased() == v.lowercased() : a == v
            if !equal { return "media type parameter \(k) is \(a), expected \(v)" }
        }
        return nil
    }
}

extension HTTPStepRunner {
    /// Waits for a notification that meets the step's expectations (judged like a response).
    func awaitNotification(_ step: HTTPStep, within: Double) async -> (ExchangeEvidence, Outcome) {
        var exchange = ExchangeEvidence(
            step: step.name, method: "AWAIT", url: options.inbox?.url ?? "", requestHeaders: [], requestBodyExcerpt: nil,
            status: nil,
            responseHeaders: [], responseBodyExcerpt: nil, httpVersion: nil, timings: nil, attempts: 1, problems: [])
        guard let inbox = options.inbox else {
            exchange.problems.append("no notification receiver is running")
            return (exchange, .error)
        }
        @Sendable func asResponse(_ n: ReceivedNotification) -> HTTPResponse {
            HTTPResponse(
                status: 200, headers: n.headers, body: n.body, httpVersion: "1.1", timings: HTTPTimings(), effectiveURL: n.path)
        }
        let runner = self
        // A notification matches when every expectation holds; one that could not be judged does not match,
        // and is remembered: with no match, the step is then an error, not a failure.
        let unjudged = Mutex<String?>(nil)
        // Waited for in slices of at most half a second, so that an interruption ends the wait.
        let deadline = Date().addingTimeInterval(within)
        var found: (index: Int, notification: ReceivedNotification)?
        var scanned = 0
        repeat {
            let slice = min(0.5, max(0, deadline.timeIntervalSinceNow))
            found = await inbox.wait(from: scanned, within: slice) { n in
                let j = runner.judge(step, asResponse(n))
                if let e = j.errors.first { unjudged.withLock { $0 = $0 ?? e } }
                return j.problems.isEmpty && j.errors.isEmpty
            }
            scanned = inbox.received().count
        } while found == nil && deadline.timeIntervalSinceNow > 0 && options.interruption?.isInterrupted != true
        guard let (_, n) = found else {
            if let signal = options.interruption?.signalName, deadline.timeIntervalSinceNow > 0 {
                exchange.problems.append("the wait was cut short by the interruption (\(signal))")
                return (exchange, .skipped)
            }
            let count = inbox.received().count
            let dropped =
                inbox.droppedCount > 0 ? "; \(inbox.droppedCount) more arrived after the receiver was full and were not kept" : ""
            exchange.problems.append(
                "no notification meeting the expectations arrived within \(within) s (\(count) received in all\(dropped))")
            if let last = inbox.received().last {
                let j = judge(step, asResponse(last))
                exchange.problems += (j.errors + j.problems).map { "the last one: " + variables.redact($0) }
            }
            // Some notification could not be judged: it may have been the one expected, so no verdict.
            if let e = unjudged.withLock({ $0 }) {
                exchange.problems.append("a notification could not be judged: " + variables.redact(e))
                return (exchange, .error)
            }
            return (exchange, .failed)
        }
        exchange.method = "RECEIVED " + n.method
        exchange.url = variables.redact(inbox.url + n.path)
        exchange.status = 200
        exchange.responseHeaders = redactHeaders(n.headers)
        exchange.responseBodyExcerpt = excerpt(n.body)
        for (k, v) in judge(step, asResponse(n)).captures { variables.set(k, v) }
        return (exchange, .passed)
    }
}
