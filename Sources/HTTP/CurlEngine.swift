import CCurl
import Foundation

/// Every transfer of the process runs on one libcurl multi handle, driven by one thread: a
/// thousand requests in flight cost a thousand sockets, not a thousand threads, and requests to
/// one host share its connections (keep-alive, HTTP/2 multiplexing). A caller hands a transfer
/// over and waits for its completion.
final class CurlEngine: @unchecked Sendable {
    static let shared = CurlEngine()

    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    // Guarded by `lock`:
    private var pending: [Transfer] = []
    // Touched only by the engine's thread:
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    private init() {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        guard let m = curl_multi_init() else { fatalError("libcurl: curl_multi_init failed (out of memory)") }
        multi = m
        _ = vm_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 64)
        let thread = Thread { [self] in loop() }
        thread.name = "vidmake-http"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Starts a transfer; its `done` semaphore is signalled when it ends, whatever the outcome.
    func start(_ t: Transfer) {
        lock.withLock { pending.append(t) }
        curl_multi_wakeup(multi)
    }

    private func loop() {
        var running: Int32 = 0
        while true {
            let added: [Transfer] = lock.withLock {
                defer { pending.removeAll() }
                return pending
            }
            for t in added {
                active[t.easy] = t
                let rc = curl_multi_add_handle(multi, t.easy)
                if rc != CURLM_OK {
                    active[t.easy] = nil
                    t.finish(code: CURLE_FAILED_INIT, detail: String(cString: curl_multi_strerror(rc)))
                }
            }
            for t in active.values where t.isCancelled() {
                curl_multi_remove_handle(multi, t.easy)
                active[t.easy] = nil
                t.finish(code: CURLE_ABORTED_BY_CALLBACK, detail: "cancelled")
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = msg.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                if let t = active.removeValue(forKey: easy) { t.finish(code: code, detail: nil) }
            }
            // Short waits while anything is in flight, so a cancelled transfer ends promptly.
            curl_multi_poll(multi, nil as UnsafeMutablePointer<curl_waitfd>?, 0, active.isEmpty ? 5000 : 100, nil)
        }
    }
}

/// One request on its way: the easy handle, its buffers and callbacks' state, and the outcome.
final class Transfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let request: HTTPRequest
    let isCancelled: @Sendable () -> Bool
    let done = DispatchSemaphore(value: 0)
    private(set) var started = Date()

    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var mime: OpaquePointer?
    private let errorBuffer: UnsafeMutablePointer<CChar> = {
        let b = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        b.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return b
    }()
    private var uploadFD: Int32 = -1
    private var outputFD: Int32 = -1

    // Filled by the callbacks on the engine's thread; read by the caller after `done`.
    var status = 0
    var headers: [String: String] = [:]
    var body = Data()
    var received: Int64 = 0
    var tooLarge = false
    var writeFailed: String?
    var code: CURLcode = CURLE_OK
    var detail: String?

    init(_ request: HTTPRequest, isCancelled: @escaping @Sendable () -> Bool) throws(HTTPError) {
        guard let easy = curl_easy_init() else { throw HTTPError(.local, "libcurl: cannot create a transfer") }
        self.easy = easy
        self.request = request
        self.isCancelled = isCancelled
        try configure()   // on a throw, deinit frees what was made
    }

    deinit {
        cleanup()
        errorBuffer.deallocate()
    }

    private func cleanup() {
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        if let mime { curl_mime_free(mime) }
        headerList = nil
        mime = nil
        if uploadFD >= 0 { close(uploadFD); uploadFD = -1 }
        if outputFD >= 0 { close(outputFD); outputFD = -1 }
    }

    private func configure() throws(HTTPError) {
        let r = request
        let me = Unmanaged.passUnretained(self).toOpaque()
        set(CURLOPT_URL, r.url)
        _ = vm_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        set(CURLOPT_USERAGENT, "vidmake/1")
        set(CURLOPT_ACCEPT_ENCODING, "")
        _ = vm_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(r.connectTimeout * 1000))
        _ = vm_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(r.timeout * 1000))
        _ = vm_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = vm_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, Int(r.stallTimeout)))
        _ = vm_setopt_long(easy, CURLOPT_FOLLOWLOCATION, r.followRedirects ? 1 : 0)
        _ = vm_setopt_long(easy, CURLOPT_MAXREDIRS, 8)
        _ = vm_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = vm_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, transferWrite)
        _ = vm_setopt_pointer(easy, CURLOPT_WRITEDATA, me)
        _ = vm_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, transferHeader)
        _ = vm_setopt_pointer(easy, CURLOPT_HEADERDATA, me)

        // No `Expect: 100-continue` pause before large bodies.
        var lines = r.headers.map { "\($0.name): \($0.value)" } + ["Expect:"]
        switch r.body {
        case .none:
            if r.method == "GET" { _ = vm_setopt_long(easy, CURLOPT_HTTPGET, 1) }
            else if r.method == "HEAD" { _ = vm_setopt_long(easy, CURLOPT_NOBODY, 1) }
        case .data(let d):
            _ = vm_setopt_long(easy, CURLOPT_POST, 1)
            _ = vm_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(d.count))
            d.withUnsafeBytes { p in
                // COPYPOSTFIELDS copies the bytes: the data need not outlive this call.
                _ = vm_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: p.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        case .file(let path):
            uploadFD = open(path, O_RDONLY | O_CLOEXEC)
            guard uploadFD >= 0 else { throw HTTPError(.local, "cannot read \(path): \(String(cString: strerror(errno)))") }
            var st = stat()
            fstat(uploadFD, &st)
            _ = vm_setopt_long(easy, CURLOPT_POST, 1)
            _ = vm_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(st.st_size))
            _ = vm_setopt_data_callback(easy, CURLOPT_READFUNCTION, transferRead)
            _ = vm_setopt_pointer(easy, CURLOPT_READDATA, me)
        case .multipart(let parts):
            mime = curl_mime_init(easy)
            for p in parts {
                let part = curl_mime_addpart(mime)
                curl_mime_name(part, p.name)
                switch p.content {
                case .text(let t):
                    curl_mime_data(part, t, Int(CURL_ZERO_TERMINATED))
                case .file(let path, let filename, let type):
                    guard curl_mime_filedata(part, path) == CURLE_OK else { throw HTTPError(.local, "cannot read \(path)") }
                    curl_mime_filename(part, filename)
                    curl_mime_type(part, type)
                }
            }
            _ = vm_setopt_mime(easy, mime)
        }
        if !(r.method == "GET" || r.method == "HEAD" || (r.method == "POST" && !isEmptyBody)) {
            set(CURLOPT_CUSTOMREQUEST, r.method)
        }
        for line in lines { headerList = curl_slist_append(headerList, line) }
        lines.removeAll()
        _ = vm_setopt_list(easy, CURLOPT_HTTPHEADER, headerList)

        if let file = r.responseFile {
            outputFD = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard outputFD >= 0 else { throw HTTPError(.local, "cannot write \(file): \(String(cString: strerror(errno)))") }
        }
    }

    private var isEmptyBody: Bool {
        if case .none = request.body { return true }
        return false
    }

    private func set(_ option: CURLoption, _ value: String) { _ = vm_setopt_string(easy, option, value) }

    // MARK: callbacks (engine thread)

    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        received += Int64(bytes.count)
        if received > request.maxResponseBytes { tooLarge = true; return 0 }
        if outputFD >= 0 {
            var off = 0
            while off < bytes.count {
                let n = Glibc.write(outputFD, bytes.baseAddress! + off, bytes.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    writeFailed = String(cString: strerror(errno))
                    return 0
                }
                off += n
            }
        } else {
            body.append(bytes.bindMemory(to: UInt8.self))
        }
        return bytes.count
    }

    func header(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new response (after a redirect or `100 Continue`): forget the last one's headers.
            headers = [:]
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            if parts.count >= 2, let s = Int(parts[1]) { status = s }
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        headers[name] = headers[name].map { $0 + ", " + value } ?? value
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = Glibc.read(uploadFD, buffer.baseAddress!, buffer.count)
        return n < 0 ? Int(CURL_READFUNC_ABORT) : n
    }

    /// The end of the transfer: on the engine's thread, once.
    func finish(code: CURLcode, detail: String?) {
        self.code = code
        self.detail = detail ?? String(cString: errorBuffer).nonEmpty ?? String(cString: curl_easy_strerror(code))
        var s = 0
        if vm_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &s) == CURLE_OK, s > 0 { status = s }
        if outputFD >= 0 {
            if fsync(outputFD) != 0, writeFailed == nil, code == CURLE_OK { writeFailed = String(cString: strerror(errno)) }
            close(outputFD)
            outputFD = -1
        }
        done.signal()
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}

private let transferWrite: vm_data_callback = { buffer, size, count, context in
    let t = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    return t.write(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

private let transferHeader: vm_data_callback = { buffer, size, count, context in
    let t = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let n = size * count
    t.header(String(decoding: UnsafeRawBufferPointer(start: buffer, count: n), as: UTF8.self))
    return n
}

private let transferRead: vm_data_callback = { buffer, size, count, context in
    let t = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    return t.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}
