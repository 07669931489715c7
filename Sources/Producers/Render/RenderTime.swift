/// Rounding of times for the files the render writes, in one place so that every writer rounds the
/// same way: subtitle milliseconds and centiseconds, OpenTimelineIO frames, chapter milliseconds.
enum RenderTime {
    /// `seconds` in whole units (1000 per second for milliseconds, 100 for centiseconds, the frame
    /// rate for frames), half away from zero. The product is first snapped to a millionth of a unit,
    /// so a time written in decimal rounds as written: 3661.2345 s is 3661234.5 ms, which rounds up
    /// to 3661235, although the nearest binary double to 3661.2345 × 1000 lies a hair below the
    /// half. Not-finite times count as 0.
    static func units(_ seconds: Double, perSecond: Double) -> Int {
        let exact = seconds * perSecond
        guard exact.isFinite else { return 0 }
        return Int(((exact * 1_000_000).rounded() / 1_000_000).rounded(.toNearestOrAwayFromZero))
    }

    /// `n` in decimal, left-padded with zeros to at least `width` digits.
    static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
