import CCityCertStack

/// How far recursion over user input (a schema that refers back to itself, say) may go on the current
/// thread: a walk stops with an error when the stack comes within `reserve` bytes of its end, whatever
/// the thread's stack size and the build's frame sizes (a debug build's frames are much larger). Fixed
/// depth limits stay as they are; this only turns an overflow they do not prevent into an error.
public enum StackGuard {
    /// Bytes kept free below the floor, for the frames that report the error.
    public static let reserve = 256 << 10

    /// The lowest stack address a recursive walk on this thread may reach: `reserve` bytes above the
    /// stack's end (a quarter of a small stack); 0 when the stack cannot be known (no limit then).
    public static func floor() -> UInt { UInt(citycert_stack_floor(reserve)) }

    /// The current stack position (the stack grows down: deeper calls have lower addresses).
    @inline(__always) public static func position() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }
}
