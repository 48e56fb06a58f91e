namespace KeepAlive.Net.Tool.Analyze.Application;

/// <summary>
/// Reads frames off one direction of a stream: a header whose length the protocol decides, then a payload whose first
/// <see cref="MaxKeptPayload"/> bytes are kept when wanted (control frames: a GOAWAY's long debug text is cut, not the
/// GOAWAY lost), skipped otherwise. The time and frame number of each frame are those
/// of the segment that carried its first byte.
/// </summary>
internal abstract class FrameReader(bool fromClient)
{
    private const int MaxKeptPayload = 1024;
    private readonly List<byte> _header = [];
    private readonly List<byte> _payload = [];
    private long _payloadLeft;
    private bool _keep;
    private TcpSegment? _start;
    private int _skip;

    protected bool FromClient { get; } = fromClient;

    public List<ControlFrame> Frames { get; } = [];

    /// <summary>Discards the next <paramref name="count"/> bytes before reading frames (the HTTP/2 client preface).</summary>
    public void Skip(int count) => _skip += count;

    public void Feed(ReadOnlySpan<byte> bytes, TcpSegment from)
    {
        var skipped = Math.Min(_skip, bytes.Length);
        bytes = bytes[skipped..];
        _skip -= skipped;
        while (!bytes.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var take = (int)Math.Min(_payloadLeft, bytes.Length);
                if (_keep)
                {
                    _payload.AddRange(bytes[..Math.Min(take, MaxKeptPayload - _payload.Count)]);
                }

                bytes = bytes[take..];
                _payloadLeft -= take;
                if (_payloadLeft == 0)
                {
                    Complete();
                }

                continue;
            }

            if (_header.Count == 0)
            {
                _start = from;
            }

            _header.Add(bytes[0]);
            bytes = bytes[1..];
            if (HeaderLength(_header) is { } length && _header.Count >= length)
            {
                var (payload, keep) = Payload(_header);
                (_payloadLeft, _keep) = (payload, keep);
                if (_payloadLeft == 0)
                {
                    Complete();
                }
            }
        }
    }

    /// <summary>The header's full length once enough of it is known, else <see langword="null"/>.</summary>
    protected abstract int? HeaderLength(List<byte> header);

    /// <summary>The payload length the header announces, and whether its bytes are wanted.</summary>
    protected abstract (long Length, bool Keep) Payload(List<byte> header);

    /// <summary>Reads a whole frame; returns the control frame it is, or <see langword="null"/>.</summary>
    protected abstract ControlFrame? Read(List<byte> header, byte[] payload, double at, long frame);

    private void Complete()
    {
        if (Read(_header, [.. _payload], _start!.Time, _start.Frame) is { } control)
        {
            Frames.Add(control);
        }

        _header.Clear();
        _payload.Clear();
        _keep = false;
    }
}
