# The rslm demo against a REAL model, for PowerShell: twin of run_real_demo.sh (best effort; the
# bash script is the reference and the only one run). SmolLM2-135M-Instruct served by llama.cpp
# (scripts\model_server.ps1); three iterations of run-iteration + consolidate + eval, then a plot,
# all under artifacts\real\ with its own database. See docs/real-model.md.
#
#   scripts\run_real_demo.ps1 [-KeepServer]
[CmdletBinding()]
param([switch]$KeepServer)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

function Get-Setting([string]$name, [string]$default) {
  $v = [Environment]::GetEnvironmentVariable($name)
  if ($v) { $v } else { $default }
}
$out = Get-Setting "OUT" "artifacts/real"
$db = "$out/real.sqlite"
$tasks = "$out/tasks.jsonl"
$families = (Get-Setting "FAMILIES" "add_const mul_const keep_multiples parse_int_list remove_chars replace_char sum_above_threshold") -split '\s+'
$regenCount = Get-Setting "REGEN_COUNT" "1000"
$heldout = Get-Setting "HELDOUT" "40"
$taskLimit = Get-Setting "TASK_LIMIT" "16"
$k = Get-Setting "K" "2"
$n = Get-Setting "N" "1"
$maxTokens = Get-Setting "MAX_TOKENS" "96"
$concurrency = Get-Setting "CONCURRENCY" "4"
$serverThreads = Get-Setting "SERVER_THREADS" "1"
$conditions = "baseline,memory,semantic,memory_learning"

cargo build --release --quiet
if ($LASTEXITCODE -ne 0) { throw "cargo build failed" }
$exe = if ($IsWindows -or $env:OS -eq "Windows_NT") { "target/release/rslm.exe" } else { "target/release/rslm" }
# Resolve the interpreter once for all the commands below. On Windows `python3` and `python` may
# be the Store's placeholders, which do not run Python: take the first that answers.
if (-not $env:RSLM_PYTHON) {
  foreach ($candidate in @("py -3", "python3", "python")) {
    $parts = $candidate -split ' '
    if (-not (Get-Command $parts[0] -ErrorAction SilentlyContinue)) { continue }
    $rest = @($parts | Select-Object -Skip 1)
    $found = & $parts[0] @rest -c "import sys; print(sys.executable)" 2>$null
    if ($LASTEXITCODE -eq 0 -and $found) { $env:RSLM_PYTHON = "$found".Trim(); break }
  }
  if (-not $env:RSLM_PYTHON) { throw "no Python 3 found: install it, or set RSLM_PYTHON" }
}

# ---- the model server -------------------------------------------------------------------------
$server = Join-Path $PSScriptRoot "model_server.ps1"
$status = & $server status
$startedServer = $false
if ($LASTEXITCODE -eq 0) {
  Write-Host "model server: already running, using it ($status)"
} else {
  Write-Host "model server: not running; starting it (scripts\model_server.ps1 start -Threads $serverThreads)"
  & $server start -Threads ([int]$serverThreads) | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "the model server did not start" }
  $startedServer = $true
}

try {
  Invoke-Expression ((& $server env) -join "`n")
  $env:RSLM_BACKEND = "openai"
  $env:RSLM_DB = $db
  Remove-Item Env:RSLM_FAST_VERIFY -ErrorAction SilentlyContinue

  New-Item -ItemType Directory -Force -Path $out | Out-Null
  foreach ($f in @($db, "$db-wal", "$db-shm", "$out/results.png", "$out/timings.tsv", "$out/generated.jsonl", $tasks)) {
    if (Test-Path $f) { Remove-Item $f }
  }
  Get-ChildItem $out -Filter "results_iter00*.json" -ErrorAction SilentlyContinue | Remove-Item
  "stage`titeration`tseconds" | Set-Content "$out/timings.tsv"

  function Invoke-Rslm { & $exe @args; if ($LASTEXITCODE -ne 0) { throw "rslm $($args[0]) failed with exit code $LASTEXITCODE" } }
  function Invoke-Stage([string]$name, [string]$iter, [string[]]$rslmArgs) {
    $w = [System.Diagnostics.Stopwatch]::StartNew()
    Invoke-Rslm @rslmArgs
    $s = $w.Elapsed.TotalSeconds
    ("{0}`t{1}`t{2:F3}" -f $name, $iter, $s) | Add-Content "$out/timings.tsv"
    Write-Host ("   ({0}: {1:F1} s)" -f $name, $s)
  }

  $common = @("--tasks", $tasks, "--heldout-size", $heldout)
  $modelFlags = @("--max-tokens", $maxTokens, "--concurrency", $concurrency, "--request-timeout", "300", "--fast")
  $watch = [System.Diagnostics.Stopwatch]::StartNew()
  Invoke-Rslm init-db
  Invoke-Rslm seed-tasks --regen --count $regenCount --out "$out/generated.jsonl" | Out-Null
  $pattern = '"family":"(' + ($families -join '|') + ')"'
  Get-Content "$out/generated.jsonl" | Where-Object { $_ -match $pattern } | Set-Content $tasks
  Invoke-Rslm seed-tasks --out $tasks

  foreach ($i in 1..3) {
    Write-Host "== iteration $i"
    Invoke-Stage "run-iteration" "$i" (@("run-iteration") + $common + $modelFlags + @("--k", $k, "--mode", "trainpool", "--memory-enabled", "--task-limit", $taskLimit, "--seed", "$i"))
    Invoke-Stage "consolidate" "$i" (@("consolidate") + $common + $modelFlags + @("--min-evidence", "2"))
    Invoke-Stage "eval" "$i" (@("eval") + $common + $modelFlags + @("--conditions", $conditions, "--k", "1", "--n", $n, "--seed", "0", "--output", "$out/results_iter00$i.json"))
  }
  Invoke-Stage "plot" "-" @("plot", "--input", $db, "--output", "$out/results.png")

  Write-Host ("`nreal-model demo finished in {0:F3} s after the build ({1} at {2})" -f $watch.Elapsed.TotalSeconds, $env:RSLM_MODEL, $env:RSLM_BASE_URL)
  Write-Host "results: $out/results_iter001.json .. $out/results_iter003.json"
  Write-Host "picture: $out/results.png"
  Write-Host "stage times: $out/timings.tsv"
  Write-Host "database: $db (failures: sqlite3 $db 'SELECT verdict, first_failure FROM failures')"
} finally {
  if ($startedServer -and -not $KeepServer) {
    Write-Host "model server: stopping the server this script started (-KeepServer keeps it)"
    & $server stop
  }
}
