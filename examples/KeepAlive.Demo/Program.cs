Console.WriteLine("KeepAlive.Net demo: placeholder until the demo issue lands.");
