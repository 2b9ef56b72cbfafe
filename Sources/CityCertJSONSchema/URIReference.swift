/// A URI reference split into RFC 3986 components, with reference resolution (section 5.2).
public struct URIReference: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String?
    public var authority: String?
    public var path: String
    public var query: String?
    public var fragment: String?

    public init(_ text: String) {
        var rest = Substring(text)
        if let hash = rest.firstIndex(of: "#") {
            fragment = String(rest[rest.index(after: hash)...])
            rest = rest[..<hash]
        }
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = rest[..<q]
        }
        if let colon = rest.firstIndex(of: ":") {
            let candidate = rest[..<colon]
            if let first = candidate.first, first.isLetter,
                candidate.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }),
                !candidate.contains("/")
            {
                scheme = String(candidate)
                rest = rest[rest.index(after: colon)...]
            }
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            authority = String(rest[..<end])
            rest = rest[end...]
        }
        path = String(rest)
    }

    public var description: String {
        var out = ""
        if let scheme { out += scheme + ":" }
        if let authority { out += "//" + authority }
        out += path
        if let query { out += "?" + query }
        if let fragment { out += "#" + fragment }
        return out
    }

    /// This URI without its fragment (and with an empty fragment dropped).
    public var withoutFragment: URIReference {
        var copy = self
        copy.fragment = nil
        return copy
    }

    public var isAbsolute: Bool { scheme != nil }

    /// Resolves `reference` against this (absolute) base URI.
    public func resolving(_ reference: String) -> URIReference {
        let r = URIReference(reference)
        var t = URIReference("")
        if r.scheme != nil {
            t = r
            t.path = Self.removeDotSegments(r.path)
        } else {
            if r.authority != nil {
                t.authority = r.authority
                t.path = Self.removeDotSegments(r.path)
                t.query = r.query
            } else {
                if r.path.isEmpty {
                    t.path = path
                    t.query = r.query ?? query
                } else {
                    if r.path.hasPrefix("/") {
                        t.path = Self.removeDotSegments(r.path)
                    } else {
                        t.path = Self.removeDotSegments(merge(r.path))
                    }
                    t.query = r.query
                }
                t.authority = authority
            }
            t.scheme = scheme
        }
        t.fragment = r.fragment
        return t
    }

    private func merge(_ relative: String) -> String {
        if authority != nil && path.isEmpty { return "/" + relative }
        if let slash = path.lastIndex(of: "/") { return String(path[...slash]) + relative }
        // Non-hierarchical bases (URNs): replace the whole path.
        return relative
    }

    static func removeDotSegments(_ input: String) -> String {
        guard input.contains(".") else { return input }
        var inp = Substring(input)
        var output: [Substring] = []
        var out = ""
        while !inp.isEmpty {
            if inp.hasPrefix("../") {
                inp = inp.dropFirst(3)
            } else if inp.hasPrefix("./") {
                inp = inp.dropFirst(2)
            } else if inp.hasPrefix("/./") {
                inp = inp.dropFirst(2)
            } else if inp == "/." {
                inp = "/"
            } else if inp.hasPrefix("/../") {
                inp = inp.dropFirst(3)
                if !output.isEmpty { output.removeLast() }
            } else if inp == "/.." {
                inp = "/"
                if !output.isEmpty { output.removeLast() }
            } else if inp == "." || inp == ".." {
                inp = ""
            } else {
                var end = inp.index(after: inp.startIndex)
                if inp.first != "/" { end = inp.startIndex }
                let next = inp[end...].firstIndex(of: "/") ?? inp.endIndex
                output.append(inp[inp.startIndex..<next])
                inp = inp[next...]
            }
        }
        for s in output { out += s }
        return out
    }
}
