Console.WriteLine("benchmarks: placeholder");
